using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Google;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Google;

public sealed class Mapping_google_errors : IAsyncLifetime
{
    private GoogleAdapterHost _google = null!;

    public async Task InitializeAsync() => _google = await GoogleAdapterHost.StartAsync();

    public async Task DisposeAsync() => await _google.DisposeAsync();

    public static TheoryData<string, string, string, bool, string> Failures => new()
    {
        // model, prompt, unified code, retryable, what of Google's answer the message keeps
        { "imagen-4.0-generate-001", "rate-limit", ErrorCodes.RateLimited, true, "You exceeded your current quota" },
        { "gemini-2.5-flash-image", "rate-limit", ErrorCodes.RateLimited, true, "RESOURCE_EXHAUSTED" },
        { "imagen-4.0-generate-001", "prepaid-empty", ErrorCodes.InsufficientCredit, false, "prepayment credits are depleted" },
        { "gemini-2.5-flash-image", "prepaid-empty", ErrorCodes.InsufficientCredit, false, "prepayment credits are depleted" },
        { "gemini-2.5-flash-image", "no-billing", ErrorCodes.InsufficientCredit, false, "FAILED_PRECONDITION" },
        { "imagen-4.0-generate-001", "billed-only", ErrorCodes.InsufficientCredit, false, "only accessible to billed users" },
        { "gemini-2.5-flash-image", "wrong-region", ErrorCodes.Authentication, false, "User location is not supported" },
        { "imagen-4.0-ultra-generate-001", "leaked-key", ErrorCodes.Authentication, false, "PERMISSION_DENIED" },
        { "imagen-4.0-generate-001", "overloaded", ErrorCodes.ProviderUnavailable, true, "The model is overloaded" },
        { "gemini-2.5-flash-image", "server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500 INTERNAL" },
        { "imagen-4.0-fast-generate-001", "deadline", ErrorCodes.Timeout, true, "DEADLINE_EXCEEDED" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Each_google_error_maps_to_its_unified_code_keeping_googles_words(string model, string prompt, string code, bool retryable, string kept)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request(prompt, model)));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.Contains(kept, error.Message);
        Assert.StartsWith("Google", error.Message);
    }

    [Fact]
    public async Task A_quota_429_waits_as_long_as_googles_retry_info_says()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("rate-limit")));

        Assert.Equal(TimeSpan.FromSeconds(22), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_answered_as_400_api_key_invalid_is_an_authentication_failure_that_never_shows_the_key()
    {
        const string wrongKey = "AIzaSyWrong0123456789abcdefghijklmnopqr";

        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", key: wrongKey)));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("API_KEY_INVALID", error.Message);
        Assert.Contains("API key not valid", error.Message);
        Assert.DoesNotContain(wrongKey, error.Message);
        Assert.Equal(wrongKey, Assert.Single(_google.Server.Requests).Header("x-goog-api-key"));
    }

    [Fact]
    public async Task Without_any_key_google_is_not_called()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", key: null)));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(_google.Server.Requests);
    }

    [Fact]
    public void The_ordinary_quota_message_mentions_billing_but_stays_a_rate_limit()
    {
        var error = GoogleErrors.Map(new ImageGen.Providers.Adapters.Http.ProviderErrorResponse(
            System.Net.HttpStatusCode.TooManyRequests,
            "You exceeded your current quota, please check your plan and billing details.",
            "RESOURCE_EXHAUSTED",
            TimeSpan.FromSeconds(5),
            """{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED"}}"""));

        Assert.Equal(ErrorCodes.RateLimited, error.Code);
        // No RetryInfo in the body: the Retry-After header's wait is used.
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
    }

    [Theory]
    [InlineData("22s", 22.0)]
    [InlineData("0.5s", 0.5)]
    [InlineData("1.25s", 1.25)]
    public void Protobuf_durations_are_read_as_seconds(string value, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), GoogleErrors.ParseDuration(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("22")]
    [InlineData("-3s")]
    [InlineData("soon")]
    public void Anything_else_is_no_duration(string? value)
    {
        Assert.Null(GoogleErrors.ParseDuration(value));
    }
}
