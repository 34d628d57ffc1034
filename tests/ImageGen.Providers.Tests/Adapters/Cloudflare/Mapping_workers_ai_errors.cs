using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Cloudflare;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Cloudflare;

public sealed class Mapping_workers_ai_errors : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;
    private CloudflareTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await CloudflareFake.StartAsync();
        _host = CloudflareTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    private Task<ProviderException> Fail(ProviderRequest request) =>
        Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.GenerateAsync(request, CancellationToken.None));

    [Theory]
    [InlineData("nsfw", ErrorCodes.ContentPolicy, false, "HTTP 400, code 3030", "Input prompt contains NSFW content")]
    [InlineData("nsfw-in-200", ErrorCodes.ContentPolicy, false, "in an HTTP 200 answer, code 3030", "Input prompt contains NSFW content")]
    [InlineData("error-in-200", ErrorCodes.ProviderUnavailable, true, "in an HTTP 200 answer, code 3043", "Internal server error")]
    [InlineData("daily-limit", ErrorCodes.InsufficientCredit, false, "HTTP 429, code 3036", "daily free allocation")]
    [InlineData("capacity", ErrorCodes.ProviderUnavailable, true, "HTTP 429, code 3040", "No more data centers")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429", "throttling your request speed")]
    [InlineData("timeout", ErrorCodes.Timeout, true, "HTTP 408, code 3007", "Request timeout")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500", "Internal server error")]
    public async Task Each_workers_ai_error_maps_to_its_unified_code_keeping_cloudflares_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Fail(CloudflareTestHost.Request(prompt: $"a harbour {marker}"));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("Cloudflare Workers AI ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_cloudflares_retry_after()
    {
        var error = await Fail(CloudflareTestHost.Request(prompt: "a harbour throttle"));

        Assert.Equal(TimeSpan.FromSeconds(20), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_token_is_an_authentication_failure_that_does_not_repeat_the_token()
    {
        const string wrong = "cf-wrong-token-8ZkQ2mL5pN1xV7rT4sY9wB3d";

        var error = await Fail(CloudflareTestHost.Request(key: wrong));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Authentication error", error.Message);
        Assert.DoesNotContain(wrong, error.Message);
    }

    [Fact]
    public async Task A_token_without_rights_on_the_account_is_an_authentication_failure()
    {
        using var host = CloudflareTestHost.For(_fake, accountId: "fedcba9876543210fedcba9876543210");

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(CloudflareTestHost.Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("HTTP 403, code 10000", error.Message);
    }

    [Fact]
    public async Task A_step_count_the_schema_refuses_is_an_invalid_request()
    {
        var parameters = new Dictionary<string, string> { ["size"] = "1024x1024", ["steps"] = "12" };

        var error = await Fail(CloudflareTestHost.Request(parameters: parameters));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("steps", error.Message);
    }

    [Fact]
    public async Task When_a_later_image_of_the_job_fails_the_failure_carries_the_cost_of_the_images_already_made()
    {
        var error = await Fail(CloudflareTestHost.Request(
            prompt: "a harbour second-call-fails", model: CloudflareAdapter.StableDiffusionXl, width: 256, height: 256, count: 4, estimatedCostUsd: 0.004m));

        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
        Assert.Equal(0.001m, error.CostUsd);
        Assert.Equal(2, _fake.RequestsTo(CloudflareFake.PathFor(CloudflareFake.SdxlRoute)).Count);
    }
}
