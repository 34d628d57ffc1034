using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.OpenAi;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.OpenAi;

public sealed class Mapping_openai_errors : IAsyncLifetime
{
    private OpenAiFake _fake = null!;
    private OpenAiTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await OpenAiFake.StartAsync();
        _host = OpenAiTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    private Task<ProviderException> Fail(string marker, string model = "gpt-image-1", string? key = OpenAiFake.Key, int count = 1) =>
        Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(prompt: $"a harbour at dusk {marker}", model: model, key: key, count: count), CancellationToken.None));

    [Theory]
    [InlineData(OpenAiFake.Moderated, "gpt-image-1", ErrorCodes.ContentPolicy, false, "rejected by the safety system")]
    [InlineData(OpenAiFake.Moderated, "dall-e-3", ErrorCodes.ContentPolicy, false, "rejected as a result of our safety system")]
    [InlineData(OpenAiFake.OutOfQuota, "gpt-image-1", ErrorCodes.InsufficientCredit, false, "exceeded your current quota")]
    [InlineData(OpenAiFake.BillingLimit, "dall-e-3", ErrorCodes.InsufficientCredit, false, "Billing hard limit")]
    [InlineData(OpenAiFake.RateLimited, "gpt-image-1", ErrorCodes.RateLimited, true, "Rate limit reached")]
    [InlineData(OpenAiFake.UnsupportedRegion, "gpt-image-1", ErrorCodes.Authentication, false, "Country, region, or territory not supported")]
    [InlineData(OpenAiFake.ServerError, "gpt-image-1", ErrorCodes.ProviderUnavailable, true, "had an error while processing")]
    [InlineData(OpenAiFake.Overloaded, "dall-e-3", ErrorCodes.ProviderUnavailable, true, "currently overloaded")]
    public async Task Each_openai_error_maps_to_its_unified_code_keeping_openais_message(string marker, string model, string code, bool retryable, string said)
    {
        var error = await Fail(marker, model);

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.Contains(said, error.Message);
        Assert.StartsWith("OpenAI ", error.Message);
    }

    [Fact]
    public async Task Out_of_quota_arrives_as_a_429_but_is_insufficient_credit_and_never_retried()
    {
        var error = await Fail(OpenAiFake.OutOfQuota);

        Assert.Equal(ErrorCodes.InsufficientCredit, error.Code);
        Assert.False(error.Retryable);
        Assert.Null(error.RetryAfter);
        Assert.Contains("HTTP 429", error.Message);
    }

    [Theory]
    [InlineData(OpenAiFake.RateLimited, 7)]
    [InlineData(OpenAiFake.RateLimitedMs, 1.5)]
    [InlineData(OpenAiFake.RateLimitedReset, 90)]
    [InlineData(OpenAiFake.RateLimitedQuietly, 20)]
    public async Task A_rate_limit_carries_the_wait_openai_asked_for(string marker, double seconds)
    {
        var error = await Fail(marker);

        Assert.Equal((ErrorCodes.RateLimited, true), (error.Code, error.Retryable));
        Assert.Equal(TimeSpan.FromSeconds(seconds), error.RetryAfter);
    }

    [Fact]
    public async Task An_overloaded_answer_is_retryable_after_the_wait_it_names()
    {
        var error = await Fail(OpenAiFake.Overloaded);

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_whose_message_does_not_carry_the_key()
    {
        const string wrong = "sk-proj-Wrong9876543210zyxwvuTSR4";

        var error = await Fail(string.Empty, key: wrong);

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Incorrect API key provided", error.Message);
        Assert.Contains("HTTP 401", error.Message);
        Assert.DoesNotContain(wrong, error.Message);
        Assert.DoesNotContain("TSR4", error.Message);
        Assert.DoesNotContain("sk-proj", error.Message);
    }

    [Fact]
    public async Task An_unsupported_region_is_reported_as_authentication_that_says_it_is_the_region()
    {
        var error = await Fail(OpenAiFake.UnsupportedRegion);

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("country or region this worker calls from", error.Message);
        Assert.Contains("HTTP 403", error.Message);
    }

    [Fact]
    public async Task A_model_openai_does_not_know_is_an_invalid_request_with_openais_message()
    {
        var error = await Fail(string.Empty, model: "gpt-image-0");

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("`gpt-image-0` does not exist", error.Message);
    }

    [Fact]
    public async Task A_dall_e_3_job_for_several_images_stops_at_the_first_failed_call()
    {
        var error = await Fail(OpenAiFake.RateLimited, model: "dall-e-3", count: 3);

        Assert.Equal(ErrorCodes.RateLimited, error.Code);
        Assert.Single(_fake.Server.RequestsTo("/v1/images/generations"));
    }

    [Theory]
    [InlineData("20ms", 0.02)]
    [InlineData("1s", 1)]
    [InlineData("6m0s", 360)]
    [InlineData("1h2m3.5s", 3723.5)]
    public void Rate_limit_reset_durations_are_read_in_openais_notation(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OpenAiErrors.ParseDuration(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("soon")]
    [InlineData("12")]
    public void A_reset_that_is_absent_zero_or_not_a_duration_gives_no_wait(string? text) =>
        Assert.Null(OpenAiErrors.ParseDuration(text));
}
