using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Tests;

public class Mapping_provider_errors
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static HttpResponseMessage Response(int status, string body, Action<HttpResponseHeaders>? headers = null)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        headers?.Invoke(response.Headers);
        return response;
    }

    [Theory]
    [InlineData(400, ErrorCodes.InvalidRequest, false)]
    [InlineData(404, ErrorCodes.InvalidRequest, false)]
    [InlineData(409, ErrorCodes.InvalidRequest, false)]
    [InlineData(413, ErrorCodes.InvalidRequest, false)]
    [InlineData(422, ErrorCodes.InvalidRequest, false)]
    [InlineData(401, ErrorCodes.Authentication, false)]
    [InlineData(403, ErrorCodes.Authentication, false)]
    [InlineData(402, ErrorCodes.InsufficientCredit, false)]
    [InlineData(408, ErrorCodes.Timeout, true)]
    [InlineData(504, ErrorCodes.Timeout, true)]
    [InlineData(429, ErrorCodes.RateLimited, true)]
    [InlineData(500, ErrorCodes.ProviderUnavailable, true)]
    [InlineData(502, ErrorCodes.ProviderUnavailable, true)]
    [InlineData(503, ErrorCodes.ProviderUnavailable, true)]
    public void Each_status_maps_to_its_unified_code(int status, string code, bool retryable)
    {
        var error = ProviderErrorMapper.Map("Acme", (HttpStatusCode)status, "the provider's own words");

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.Contains("Acme", error.Message);
        Assert.Contains($"HTTP {status}", error.Message);
        Assert.EndsWith("the provider's own words", error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_given_in_seconds()
    {
        using var response = Response(429, """{"error":{"message":"Slow down"}}""", h => h.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        var error = ProviderErrorMapper.Map("Acme", await ProviderErrorMapper.ReadErrorAsync(response, CancellationToken.None));

        Assert.Equal(ErrorCodes.RateLimited, error.Code);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("Slow down", error.Message);
    }

    [Fact]
    public void A_rate_limit_carries_the_wait_given_as_an_http_date()
    {
        using var response = Response(429, "{}", h => h.RetryAfter = new RetryConditionHeaderValue(Now.AddSeconds(90)));

        Assert.Equal(TimeSpan.FromSeconds(90), ProviderErrorMapper.ParseRetryAfter(response.Headers, Now));
    }

    [Theory]
    [InlineData("1.5", 1500)]
    [InlineData("0", null)]
    [InlineData("soon", null)]
    public void Retry_after_in_other_forms_is_read_when_it_makes_sense(string header, int? expectedMs)
    {
        using var response = Response(429, "{}", h => h.TryAddWithoutValidation("Retry-After", header));

        var wait = ProviderErrorMapper.ParseRetryAfter(response.Headers, Now);

        Assert.Equal(expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, wait);
    }

    [Fact]
    public void A_date_already_past_is_no_wait()
    {
        using var response = Response(429, "{}", h => h.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(-1)));

        Assert.Null(ProviderErrorMapper.ParseRetryAfter(response.Headers, Now));
    }

    [Fact]
    public void A_wait_the_provider_gave_in_its_body_is_used()
    {
        var error = ProviderErrorMapper.Map("Replicate", HttpStatusCode.TooManyRequests, "Request was throttled.", TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
        Assert.True(error.Retryable);
    }

    [Fact]
    public void An_absurdly_long_wait_is_capped_at_a_day()
    {
        var error = ProviderErrorMapper.Map("Acme", HttpStatusCode.TooManyRequests, null, TimeSpan.FromDays(30));

        Assert.Equal(TimeSpan.FromDays(1), error.RetryAfter);
    }

    [Theory]
    [InlineData("""{"error":{"message":"Billing hard limit reached","type":"insufficient_quota","code":"insufficient_quota"}}""", "Billing hard limit reached", "insufficient_quota")]
    [InlineData("""{"error":{"code":400,"message":"Invalid aspect ratio","status":"INVALID_ARGUMENT"}}""", "Invalid aspect ratio", "INVALID_ARGUMENT")]
    [InlineData("""{"error":"Model stabilityai/sdxl is currently loading","estimated_time":20.0}""", "Model stabilityai/sdxl is currently loading", null)]
    [InlineData("""{"id":"abc","name":"content_moderation","errors":["Your request was flagged"]}""", "Your request was flagged", "content_moderation")]
    [InlineData("""{"detail":"Request was throttled. Your rate limit resets in ~30s.","status":429,"retry_after":5}""", "Request was throttled. Your rate limit resets in ~30s.", null)]
    [InlineData("""{"detail":[{"loc":["body","prompt"],"msg":"This prompt is not allowed","type":"content_policy_violation"}]}""", "This prompt is not allowed", "content_policy_violation")]
    [InlineData("""{"request_id":"r1","code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}""", "Access denied, please make sure your account is in good standing.", "Arrearage")]
    [InlineData("""{"code":422,"msg":"aspectRatio is invalid"}""", "aspectRatio is invalid", "422")]
    [InlineData("""{"success":false,"errors":[{"code":7003,"message":"Could not route"}]}""", "Could not route", null)]
    [InlineData("""{"errors":["OAuth error: The access token is invalid"]}""", "OAuth error: The access token is invalid", null)]
    [InlineData("upstream connect error", "upstream connect error", null)]
    [InlineData("<html><body><h1>502 Bad Gateway</h1></body></html>", null, null)]
    [InlineData("", null, null)]
    public void The_providers_own_message_and_code_are_found_in_the_shapes_providers_use(string body, string? message, string? code)
    {
        Assert.Equal((message, code), ProviderErrorMapper.ExtractMessage(body));
    }

    [Fact]
    public async Task A_response_without_a_message_still_names_the_provider_and_status()
    {
        using var response = Response(503, "<html>Service Unavailable</html>");

        var error = ProviderErrorMapper.Map("Acme", await ProviderErrorMapper.ReadErrorAsync(response, CancellationToken.None));

        Assert.Equal("Acme is unavailable (HTTP 503).", error.Message);
    }

    [Fact]
    public async Task Ensuring_success_passes_a_2xx_and_throws_the_mapped_failure_otherwise()
    {
        using var ok = Response(200, "{}");
        using var refused = Response(401, """{"error":{"message":"Invalid token"}}""");

        await ProviderErrorMapper.EnsureSuccessAsync(ok, "Acme", CancellationToken.None);
        var error = await Assert.ThrowsAsync<ProviderException>(() => ProviderErrorMapper.EnsureSuccessAsync(refused, "Acme", CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("Invalid token", error.Message);
    }

    [Fact]
    public void A_provider_that_cannot_be_reached_is_unavailable_and_a_slow_one_timed_out()
    {
        var refused = ProviderErrorMapper.MapTransportFailure("Acme", new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (10.1.2.3:443)"), CancellationToken.None);
        var slow = ProviderErrorMapper.MapTransportFailure("Acme", new TaskCanceledException("timed out", new TimeoutException()), CancellationToken.None);

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (refused!.Code, refused.Retryable));
        Assert.DoesNotContain("10.1.2.3", refused.Message);
        Assert.Equal((ErrorCodes.Timeout, true), (slow!.Code, slow.Retryable));
    }

    [Fact]
    public void The_callers_own_cancellation_is_not_mapped()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Null(ProviderErrorMapper.MapTransportFailure("Acme", new TaskCanceledException(), cancelled.Token));
    }
}

public class Cleaning_provider_messages
{
    [Theory]
    [InlineData("Incorrect API key provided: sk-proj-abc123DEF456ghi789JKL. You can find your API key at https://platform.openai.com/account/api-keys.", "sk-proj-abc123DEF456ghi789JKL")]
    [InlineData("Incorrect API key provided: sk-proj-****************************************wxyz.", "****wxyz")]
    [InlineData("header was Authorization: Bearer r8_Xb2kd83nd92kdn38dn2kdk2n3d8", "r8_Xb2kd83nd92kdn38dn2kdk2n3d8")]
    [InlineData("invalid token hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345")]
    [InlineData("API key not valid: AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW")]
    [InlineData("GET https://cdn.example.com/x.png?X-Amz-Signature=9f8e7d6c5b4a39281706&key=abc123 failed", "9f8e7d6c5b4a39281706")]
    [InlineData("token 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a rejected", "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a")]
    [InlineData("Basic dXNlcjpwYXNzd29yZDEyMw== is not accepted", "dXNlcjpwYXNzd29yZDEyMw==")]
    public void Anything_that_looks_like_a_key_is_removed(string message, string secret)
    {
        var cleaned = ProviderMessage.Clean(message);

        Assert.DoesNotContain(secret, cleaned);
        Assert.Contains(ProviderMessage.Redacted, cleaned);
    }

    [Theory]
    [InlineData("Bearer tokens are required for this endpoint.")]
    [InlineData("The api-version parameter is missing.")]
    [InlineData("Request 3b241101-e2bb-4255-8caf-4136c566a962 failed: size must be one of 1024x1024, 1536x1024.")]
    [InlineData("Model stabilityai/stable-diffusion-xl-base-1.0 is currently loading")]
    public void Ordinary_words_and_request_ids_are_kept(string message)
    {
        Assert.Equal(message, ProviderMessage.Clean(message));
    }

    [Fact]
    public void A_known_secret_is_removed_whatever_its_shape()
    {
        var cleaned = ProviderMessage.Clean("the key correct horse battery staple is wrong", "correct horse battery staple");

        Assert.Equal("the key [redacted] is wrong", cleaned);
    }

    [Fact]
    public void Long_messages_are_cut_to_500_characters_on_one_line()
    {
        var cleaned = ProviderMessage.Clean("first line\r\n\tsecond line " + new string('x', 2000));

        Assert.Equal(ProviderMessage.MaxLength, cleaned.Length);
        Assert.StartsWith("first line second line x", cleaned);
        Assert.EndsWith("…", cleaned);
    }
}
