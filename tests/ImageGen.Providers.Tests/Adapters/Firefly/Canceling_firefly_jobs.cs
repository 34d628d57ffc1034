using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Firefly;

public sealed class Canceling_firefly_jobs : IAsyncLifetime
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

    [Fact]
    public async Task A_running_job_is_canceled_with_a_put_carrying_the_api_key_and_token_and_firefly_then_reports_it_canceled()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a long night never"), CancellationToken.None);
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);

        await _host.Adapter.CancelAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None);

        var cancel = Assert.Single(_fake.Server.RequestsTo(FireflyFake.CancelPath(submission.TaskId!)));
        Assert.Equal("PUT", cancel.Method);
        Assert.Equal(FireflyFake.ClientId, cancel.Header("x-api-key"));
        Assert.Equal(FireflyFake.ClientId, _fake.ClientOfToken(cancel.Header("Authorization")!["Bearer ".Length..]));
        var after = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 2), CancellationToken.None));
        Assert.Contains("was canceled", after.Error.Message);
    }

    [Fact]
    public async Task Canceling_a_job_that_already_finished_or_that_firefly_does_not_know_is_not_an_error()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);
        Assert.IsType<ProviderPollResult.Done>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None));

        await _host.Adapter.CancelAsync(FireflyTestHost.Poll(submission, 2), CancellationToken.None);
        await _host.Adapter.CancelAsync(FireflyTestHost.Poll(ProviderSubmission.Pending("urn:ff:jobs:gone", TimeSpan.Zero), 0), CancellationToken.None);

        Assert.Single(_fake.Server.RequestsTo(FireflyFake.CancelPath(submission.TaskId!)));
        Assert.Single(_fake.Server.RequestsTo(FireflyFake.CancelPath("urn:ff:jobs:gone")));
    }

    [Fact]
    public async Task A_cancel_firefly_cannot_carry_out_is_thrown_as_a_retryable_unavailability()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a storm cancel-fails never"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.CancelAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("job_cancel_failed", error.Message);
    }

    [Fact]
    public async Task A_cancel_refused_for_an_expired_token_is_sent_again_with_a_new_token()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a long night never"), CancellationToken.None);
        _fake.RevokeTokens();

        await _host.Adapter.CancelAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);

        Assert.Equal(2, _fake.Server.RequestsTo(FireflyFake.CancelPath(submission.TaskId!)).Count);
        Assert.Equal(2, _fake.TokensIssued);
        Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None));
    }
}
