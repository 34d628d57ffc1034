using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Kie;

public sealed class Mapping_kie_errors : IAsyncLifetime
{
    private KieFake _fake = null!;
    private KieTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await KieFake.StartAsync();
        _host = KieTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("refuse", ErrorCodes.ContentPolicy, false, "(code 400)", "content policy")]
    [InlineData("broke", ErrorCodes.InsufficientCredit, false, "(code 402)", "Credits insufficient")]
    [InlineData("sub-key", ErrorCodes.InsufficientCredit, false, "(code 433)", "Sub-key usage")]
    [InlineData("busy", ErrorCodes.RateLimited, true, "(code 429)", "Request limit")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "(HTTP 429, code 429)", "Too many requests")]
    [InlineData("maintenance", ErrorCodes.ProviderUnavailable, true, "(code 455)", "maintenance")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "(code 500)", "Server error")]
    [InlineData("disabled", ErrorCodes.ProviderUnavailable, true, "(code 505)", "disabled")]
    [InlineData("bad-gateway", ErrorCodes.ProviderUnavailable, true, "(HTTP 502, code 502)", "KIE is unavailable")]
    public async Task Each_error_on_creation_maps_to_its_unified_code_keeping_kies_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: $"a windmill {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("KIE ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_kie_asked_for()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: "a windmill throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(11), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_reported_inside_an_http_200_is_an_authentication_failure_without_the_key()
    {
        const string wrong = "kie-wrong-0a9b8c7d6e5f4a3b2c1d";

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(key: wrong), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("(code 401)", error.Message);
        Assert.DoesNotContain(wrong, error.Message);
    }

    [Fact]
    public async Task A_parameter_kie_refuses_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(model: "flux-kontext-ultra"), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("(code 422)", error.Message);
        Assert.Contains("flux-kontext-ultra", error.Message);
    }

    [Fact]
    public async Task A_safety_tolerance_kie_finds_out_of_range_is_an_invalid_request_although_kie_reports_a_server_error()
    {
        using var host = KieTestHost.For(_fake, new() { ["Providers:kie:Options:SafetyTolerance"] = "7" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(KieTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("(code 500)", error.Message);
        Assert.Contains("safetyTolerance 7 is out of range", error.Message);
    }

    [Theory]
    [InlineData("unsafe-output", ErrorCodes.ContentPolicy, false, "code 400")]
    [InlineData("gen-fail", ErrorCodes.ProviderUnavailable, true, "code 501")]
    [InlineData("create-fail", ErrorCodes.ProviderUnavailable, true, "code 500")]
    public async Task A_task_that_ends_badly_is_a_failure_with_the_unified_code(string marker, string code, bool retryable, string context)
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: $"a lighthouse {marker}"), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.PollUntilDoneAsync(submission));

        Assert.Equal((code, retryable), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains(context, failed.Error.Message);
    }

    [Fact]
    public async Task A_status_answer_with_an_error_inside_http_200_is_thrown_as_retryable_so_the_task_is_asked_again()
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: "a dune poll-limited"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.PollAsync(KieTestHost.Poll(submission, 0), CancellationToken.None));
        var next = await _host.Adapter.PollAsync(KieTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.Equal((ErrorCodes.RateLimited, true), (error.Code, error.Retryable));
        Assert.IsType<ProviderPollResult.StillRunning>(next);
    }

    [Fact]
    public async Task A_task_kie_has_no_record_of_is_lost_and_retryable_elsewhere()
    {
        var poll = KieTestHost.Poll(ProviderSubmission.Pending("5f0c0ffee0000000000000000000dead", TimeSpan.Zero), 3);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(poll, CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows", failed.Error.Message);
    }

    [Fact]
    public async Task Credit_that_runs_out_after_the_first_task_fails_the_attempt_carrying_what_the_first_task_costs()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: "two owls credit-runs-out", count: 2, estimatedCostUsd: 0.05m), CancellationToken.None));

        Assert.Equal(ErrorCodes.InsufficientCredit, error.Code);
        Assert.Equal(0.025m, error.CostUsd);
        Assert.Equal(2, _fake.Server.RequestsTo(KieFake.GeneratePath).Count);
    }

    [Fact]
    public async Task Webp_is_an_invalid_request_without_calling_kie()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(KieTestHost.Request(format: ImageOutputFormat.Webp), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }
}
