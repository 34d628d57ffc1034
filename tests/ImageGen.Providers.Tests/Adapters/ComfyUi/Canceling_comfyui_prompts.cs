using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.ComfyUi;

public sealed class Canceling_comfyui_prompts : IAsyncLifetime
{
    private ComfyUiFake _fake = null!;
    private ComfyUiTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ComfyUiFake.StartAsync();
        _host = ComfyUiTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_prompt_waiting_in_the_queue_is_deleted_from_it_and_nothing_is_interrupted()
    {
        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a parade queued"), CancellationToken.None);

        await _host.Adapter.CancelAsync(ComfyUiTestHost.Poll(submission, 0), CancellationToken.None);

        var calls = _fake.Server.RequestsTo("/queue");
        Assert.Equal(["GET", "POST"], calls.Select(c => c.Method));
        Assert.Equal(submission.TaskId, Assert.Single(calls[1].Json().GetProperty("delete").EnumerateArray()).GetString());
        Assert.Empty(_fake.Server.RequestsTo("/interrupt"));
        Assert.Equal("deleted", _fake.StateOf(submission.TaskId!));
    }

    [Fact]
    public async Task The_running_prompt_is_interrupted_by_its_id_after_the_queue_shows_it_is_the_one_running()
    {
        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a parade never"), CancellationToken.None);

        await _host.Adapter.CancelAsync(ComfyUiTestHost.Poll(submission, 0), CancellationToken.None);

        Assert.Equal("GET", Assert.Single(_fake.Server.RequestsTo("/queue")).Method);
        var interrupt = Assert.Single(_fake.Server.RequestsTo("/interrupt"));
        Assert.Equal("POST", interrupt.Method);
        Assert.Equal(submission.TaskId, interrupt.Json().GetProperty("prompt_id").GetString());
        Assert.Equal("finished", _fake.StateOf(submission.TaskId!));
    }

    [Fact]
    public async Task Canceling_a_queued_prompt_leaves_the_one_running_alone()
    {
        var running = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "the first never"), CancellationToken.None);
        var waiting = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "the second queued"), CancellationToken.None);

        await _host.Adapter.CancelAsync(ComfyUiTestHost.Poll(waiting, 0), CancellationToken.None);

        Assert.Empty(_fake.Server.RequestsTo("/interrupt"));
        Assert.Equal("running", _fake.StateOf(running.TaskId!));
        Assert.Equal("deleted", _fake.StateOf(waiting.TaskId!));
    }

    [Fact]
    public async Task A_prompt_that_already_finished_is_left_alone()
    {
        var result = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None);
        await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(result, 0), CancellationToken.None);
        Assert.IsType<ProviderPollResult.Done>(await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(result, 1), CancellationToken.None));

        await _host.Adapter.CancelAsync(ComfyUiTestHost.Poll(result, 2), CancellationToken.None);

        Assert.DoesNotContain(_fake.Server.Requests, r => r.Method == "POST" && r.Path is "/queue" or "/interrupt");
    }
}
