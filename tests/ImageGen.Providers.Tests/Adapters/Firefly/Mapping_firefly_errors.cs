using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Firefly;

public sealed class Mapping_firefly_errors : IAsyncLifetime
{
    private FireflyFake _fake = null!;
    private FireflyTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FireflyFake.StartAsync();
        _host = FireflyTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("unsafe", ErrorCodes.ContentPolicy, false, "HTTP 422, prompt_unsafe", "violates Adobe's user guidelines")]
    [InlineData("foreign", ErrorCodes.InvalidRequest, false, "HTTP 422, language_not_supported", "language of the prompt")]
    [InlineData("no-quota", ErrorCodes.InsufficientCredit, false, "x-access-error: quota_exhausted", "generative credits")]
    [InlineData("not-entitled", ErrorCodes.Authentication, false, "x-access-error: user_non_entitled", "not entitled")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429", "Too many requests")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500", "runtime_error")]
    [InlineData("not-loaded", ErrorCodes.ProviderUnavailable, true, "HTTP 503", "model_not_loaded")]
    public async Task Each_error_on_submission_maps_to_its_unified_code_keeping_fireflys_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: $"a garden {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("Adobe Firefly ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
        Assert.DoesNotContain(FireflyFake.ClientSecret, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_firefly_asked_for()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a garden throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(9), error.RetryAfter);
    }

    [Fact]
    public async Task A_size_the_model_does_not_make_is_an_invalid_request_with_fireflys_validation_errors()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(model: "image4_standard", width: 1024, height: 1024), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 422, validation_error", error.Message);
        Assert.Contains("size: unsupported size 1024x1024 for image4_standard", error.Message);
    }

    [Fact]
    public async Task A_prompt_longer_than_firefly_takes_is_an_invalid_request_naming_the_field()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: new string('a', 1025)), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("prompt: ensure this value has between 1 and 1024 characters", error.Message);
    }

    [Theory]
    [InlineData("unsafe-output", ErrorCodes.ContentPolicy, false, "output_media_unsafe")]
    [InlineData("job-error", ErrorCodes.ProviderUnavailable, true, "runtime_error")]
    [InlineData("job-timeout", ErrorCodes.Timeout, true, "timed out")]
    public async Task A_job_that_ends_badly_is_a_failure_with_the_unified_code(string marker, string code, bool retryable, string said)
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: $"a bridge {marker}"), CancellationToken.None);
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None));

        Assert.Equal((code, retryable), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains(said, failed.Error.Message);
    }

    [Fact]
    public async Task A_job_firefly_no_longer_knows_is_lost_and_retryable_elsewhere()
    {
        var poll = FireflyTestHost.Poll(ProviderSubmission.Pending("urn:ff:jobs:epo855230:0b7c0d4e-expired", TimeSpan.Zero), 3);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(poll, CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows the job", failed.Error.Message);
        Assert.Single(_fake.Server.RequestsTo("/v3/status/urn:ff:jobs:epo855230:0b7c0d4e-expired"));
    }

    [Fact]
    public async Task Firefly_unreachable_is_a_retryable_unavailability()
    {
        var port = FreePort();
        using var host = FireflyTestHost.For(_fake, new() { ["Providers:firefly:BaseUrl"] = $"http://127.0.0.1:{port}/" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("could not be reached", error.Message);
    }

    [Fact]
    public async Task The_fake_refuses_an_api_key_it_does_not_know_as_adobes_gateway_does()
    {
        using var client = new HttpClient { BaseAddress = _fake.Server.BaseAddress };
        using var message = new HttpRequestMessage(HttpMethod.Get, "v3/status/urn:ff:jobs:x");
        message.Headers.Add("x-api-key", "not-a-client");

        using var response = await client.SendAsync(message);

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Contains("403003", await response.Content.ReadAsStringAsync());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
