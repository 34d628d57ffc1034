using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Fal;

public sealed class Canceling_fal_requests : IAsyncLifetime
{
    private FalFake _fake = null!;
    private FalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FalFake.StartAsync();
        _host = FalTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_running_request_is_canceled_with_a_put_to_its_cancel_url_and_the_key()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(model: FalFake.Dev, prompt: "a mountain pass never"), CancellationToken.None);

        await _host.Adapter.CancelAsync(FalTestHost.Poll(submission, 1, model: FalFake.Dev), CancellationToken.None);

        var cancel = Assert.Single(_fake.Server.RequestsTo(FalFake.CancelPath("fal-ai/flux", submission.TaskId!)));
        Assert.Equal(("PUT", $"Key {FalFake.ApiKey}"), (cancel.Method, cancel.Header("Authorization")));
        Assert.Empty(cancel.Body);
    }

    [Fact]
    public async Task A_request_that_already_completed_has_nothing_left_to_cancel()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(), CancellationToken.None);
        Assert.IsType<ProviderPollResult.Done>(await _host.PollUntilDoneAsync(submission));

        await _host.Adapter.CancelAsync(FalTestHost.Poll(submission, 3), CancellationToken.None);

        Assert.Single(_fake.Server.RequestsTo(FalFake.CancelPath("fal-ai/flux", submission.TaskId!)));
    }

    [Fact]
    public async Task A_request_fal_does_not_know_has_nothing_left_to_cancel()
    {
        await _host.Adapter.CancelAsync(FalTestHost.Poll("0b1c2d3e-gone", state: null, 1), CancellationToken.None);

        Assert.Single(_fake.Server.RequestsTo(FalFake.CancelPath("fal-ai/flux", "0b1c2d3e-gone")));
    }

    [Fact]
    public async Task A_cancel_with_a_refused_key_is_an_authentication_failure()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a glacier never"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.CancelAsync(FalTestHost.Poll(submission, 1, key: "0000-revoked:ffff"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
    }
}
