using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.HuggingFace;

public sealed class Mapping_hugging_face_errors(HuggingFaceFixture fixture) : IClassFixture<HuggingFaceFixture>
{
    private Task<ProviderException> FailureFor(ProviderRequest request) =>
        Assert.ThrowsAsync<ProviderException>(() => fixture.Adapter.GenerateAsync(request, CancellationToken.None));

    [Fact]
    public async Task A_model_still_loading_is_retryable_after_the_time_hugging_face_estimates()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, cold-model"));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Equal(TimeSpan.FromSeconds(HuggingFaceFake.LoadingSeconds), error.RetryAfter);
        Assert.Contains("black-forest-labs/FLUX.1-schnell is currently loading", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exhausted_credits_are_an_insufficient_credit_failure()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, no-credits"));

        Assert.Equal((ErrorCodes.InsufficientCredit, false), (error.Code, error.Retryable));
        Assert.Contains("exceeded your monthly included credits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_is_an_authentication_failure_that_does_not_repeat_the_token()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, wrong token", key: "hf_wrongToken00000000000000000000"));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Invalid credentials in Authorization header", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hf_wrongToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_without_the_inference_permission_is_an_authentication_failure()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, read-only token", key: HuggingFaceFake.ReadOnlyToken));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("does not have sufficient permissions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_is_an_invalid_request_that_names_it()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, unknown model", model: "acme/not-a-model"));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("'acme/not-a-model'", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_size_the_pipeline_refuses_is_an_invalid_request_with_the_pipelines_own_explanation()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, odd size", width: 1001));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("have to be divisible by 8 but are 1024 and 1001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_is_retryable_after_the_wait_hugging_face_asks_for()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, rate-limit"));

        Assert.Equal((ErrorCodes.RateLimited, true), (error.Code, error.Retryable));
        Assert.Equal(TimeSpan.FromSeconds(int.Parse(HuggingFaceFake.RetryAfterSeconds, System.Globalization.CultureInfo.InvariantCulture)), error.RetryAfter);
        Assert.Contains("Rate limit reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_error_is_a_retryable_provider_unavailable_failure()
    {
        var error = await FailureFor(HuggingFaceFixture.Request("a red fox, server-error"));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("CUDA out of memory", error.Message, StringComparison.Ordinal);
    }
}
