using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Stability;

public sealed class Mapping_stability_errors(StabilityFixture fixture) : IClassFixture<StabilityFixture>
{
    private Task<ProviderException> FailureFor(ProviderRequest request) =>
        Assert.ThrowsAsync<ProviderException>(() => fixture.Adapter.GenerateAsync(request, CancellationToken.None));

    [Fact]
    public async Task An_image_withheld_by_the_output_filter_with_http_200_is_a_content_policy_failure_that_was_paid_for()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, filtered", estimatedCostUsd: 0.03m));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("CONTENT_FILTERED", error.Message, StringComparison.Ordinal);
        Assert.Equal(0.03m, error.CostUsd);
    }

    [Fact]
    public async Task When_one_of_several_images_is_filtered_the_job_fails_with_the_cost_of_every_call_made()
    {
        // Seeds 10 and 11: the fake filters the odd one.
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, filtered-odd-seeds", count: 2, seed: 10, estimatedCostUsd: 0.16m));

        Assert.Equal(ErrorCodes.ContentPolicy, error.Code);
        Assert.Equal(0.16m, error.CostUsd);
    }

    [Fact]
    public async Task A_prompt_refused_by_content_moderation_is_a_content_policy_failure_not_an_authentication_one()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, moderated"));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("flagged by our content moderation system", error.Message, StringComparison.Ordinal);
        Assert.Null(error.CostUsd);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_that_does_not_repeat_the_key()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, wrong key", key: "sk-wrong-key-00000000000000000000"));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("authorization: invalid or missing header value", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-wrong-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_account_without_credits_is_an_insufficient_credit_failure()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, no-credits"));

        Assert.Equal((ErrorCodes.InsufficientCredit, false), (error.Code, error.Retryable));
        Assert.Contains("You lack sufficient credits", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a lighthouse, too-large", "payloads cannot be larger than 10MiB")]
    [InlineData("a lighthouse, non-english", "English is the only supported language")]
    public async Task Payloads_too_large_and_well_formed_but_rejected_requests_are_invalid(string prompt, string message)
    {
        var error = await FailureFor(StabilityFixture.Request(prompt));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parameter_stability_refuses_is_an_invalid_request_with_its_own_explanation()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, odd ratio", aspectRatio: "7:5"));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("aspect_ratio: must be one of", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_is_retryable_after_the_wait_stability_asks_for()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, rate-limit"));

        Assert.Equal((ErrorCodes.RateLimited, true), (error.Code, error.Retryable));
        Assert.Equal(TimeSpan.FromSeconds(int.Parse(StabilityFake.RetryAfterSeconds, System.Globalization.CultureInfo.InvariantCulture)), error.RetryAfter);
        Assert.Contains("exceeded the rate limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_error_is_a_retryable_provider_unavailable_failure()
    {
        var error = await FailureFor(StabilityFixture.Request("a lighthouse, server-error"));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("unexpected server error", error.Message, StringComparison.Ordinal);
    }
}
