using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.DashScope;

public sealed class Mapping_dashscope_errors : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;
    private DashScopeTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await DashScopeFake.StartAsync();
        _host = DashScopeTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("refuse", ErrorCodes.ContentPolicy, false, "HTTP 400, DataInspectionFailed", "inappropriate content")]
    [InlineData("overdue", ErrorCodes.InsufficientCredit, false, "HTTP 400, Arrearage", "good standing")]
    [InlineData("no-access", ErrorCodes.Authentication, false, "HTTP 403, AccessDenied", "Access denied")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429, Throttling.RateQuota", "rate limit exceeded")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500, InternalError", "internal error")]
    public async Task Each_error_on_submission_maps_to_its_unified_code_keeping_dashscopes_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: $"a garden {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("DashScope ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
        Assert.DoesNotContain(DashScopeFake.ApiKey, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_dashscope_asked_for()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: "a garden throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_and_the_key_is_not_repeated()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(DashScopeTestHost.Request(key: "sk-wrong-5e1f0a9c77d2"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("InvalidApiKey", error.Message);
        Assert.DoesNotContain("sk-wrong", error.Message);
    }

    [Fact]
    public async Task A_size_outside_the_models_limits_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(DashScopeTestHost.Request(width: 2048, height: 2048), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("InvalidParameter", error.Message);
    }

    [Theory]
    [InlineData("unsafe-output", ErrorCodes.ContentPolicy, false, "DataInspectionFailed")]
    [InlineData("task-error", ErrorCodes.ProviderUnavailable, true, "InternalError.Algo")]
    [InlineData("canceled", ErrorCodes.Internal, false, "canceled")]
    public async Task A_task_that_ends_badly_is_a_failure_with_the_unified_code(string marker, string code, bool retryable, string said)
    {
        var submission = await _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: $"a bridge {marker}"), CancellationToken.None);
        await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 0), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 1), CancellationToken.None));

        Assert.Equal((code, retryable), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains(said, failed.Error.Message);
    }

    [Fact]
    public async Task An_expired_or_unknown_task_is_lost_and_retryable_elsewhere()
    {
        var poll = DashScopeTestHost.Poll(ProviderSubmission.Pending("0b7c0d4e-expired", TimeSpan.Zero), 3);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(poll, CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows", failed.Error.Message);
    }

    [Fact]
    public async Task A_poll_the_provider_cannot_answer_even_after_retries_is_thrown_as_retryable_so_the_task_is_asked_again()
    {
        var submission = await _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: "a river poll-unavailable"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.True(error.Retryable);
        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
    }

    [Fact]
    public async Task A_submission_without_the_async_header_is_refused_by_the_fake_as_by_dashscope()
    {
        using var client = new HttpClient { BaseAddress = _fake.BaseAddress };
        using var message = new HttpRequestMessage(HttpMethod.Post, DashScopeFake.SubmitPath.TrimStart('/'))
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { model = DashScopeFake.Flash, input = new { prompt = "a cat" } }),
        };
        message.Headers.Authorization = new("Bearer", DashScopeFake.ApiKey);

        using var response = await client.SendAsync(message);

        Assert.Equal(403, (int)response.StatusCode);
        Assert.Contains("AccessDenied", await response.Content.ReadAsStringAsync());
    }
}
