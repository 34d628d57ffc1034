using ImageGen.Contracts;

namespace ImageGen.Providers.Tests.Faults;

/// <summary>
/// Fault test: a provider worker process dies by SIGKILL (a crashed node, an OOM-killed container) and is started
/// again. The broker takes back what the dead worker had not acknowledged: no command is lost, and each job ends with
/// one outcome and one set of stored images.
/// </summary>
public sealed class Killing_a_provider_worker : IAsyncLifetime
{
    // How long to keep listening after an outcome for a second one that must not come; not a speed requirement.
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(3);

    private WorkerFaultRig _rig = null!;

    public async Task InitializeAsync() => _rig = await WorkerFaultRig.StartAsync();

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_caught_mid_flight_is_redone_by_the_restarted_worker_and_completes_with_one_image_set()
    {
        var killed = await _rig.StartWorkerAsync();
        var command = WorkerFaultRig.Command(1024, 1024);
        await _rig.Bus.SendAsync(WorkerFaultRig.ProviderId, command);
        await _rig.EventuallyAsync(() => _rig.GenerationsFor(command.JobId).Count == 1, "the worker to call the provider (held open)");

        await killed.KillAsync();
        await _rig.EventuallyAsync(async () => await _rig.QueueStateAsync() is { Ready: 1, Consumers: 0 },
            "the broker to put the unacknowledged command back in the queue");
        await _rig.StartWorkerAsync();
        await _rig.EventuallyAsync(() => _rig.GenerationsFor(command.JobId).Count == 2, "the restarted worker to call the provider with the redelivered command");
        Assert.Equal(new QueueState(0, 1), await _rig.QueueStateAsync());
        _rig.Generations.Release();
        var succeeded = await _rig.SucceededAsync(command.JobId);
        await Task.Delay(QuietPeriod);

        var events = _rig.Bus.EventsOf(command.JobId);
        Assert.Equal(2, events.OfType<ImageGenerationStarted>().Count()); // one per worker process
        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Empty(events.OfType<ImageGenerationFailed>());
        Assert.Equal(2, _rig.GenerationsFor(command.JobId).Count);
        var image = Assert.Single(succeeded.Images);
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        _rig.AssertStored(succeeded);
        // The killed attempt never got as far as storage: one image set was stored, once.
        Assert.Equal(1, _rig.Storage.Storage.Puts);
        Assert.Single(_rig.Storage.Storage.Objects);
    }

    [Fact]
    public async Task A_command_sent_while_the_worker_is_down_waits_in_the_queue_and_the_restarted_worker_does_it()
    {
        _rig.Generations.Release();
        // Killed idle. (Killed between a job's outcome and its acknowledgement, it would have that job redone: the
        // broker delivers at least once, and the orchestrator ignores a second outcome of an attempt it has closed.)
        var killed = await _rig.StartWorkerAsync();
        await killed.KillAsync();
        await _rig.EventuallyAsync(async () => await _rig.QueueStateAsync() is { Consumers: 0 }, "the broker to drop the killed worker's consumer");

        var command = WorkerFaultRig.Command(1536, 1024);
        await _rig.Bus.SendAsync(WorkerFaultRig.ProviderId, command);
        Assert.Equal(new QueueState(1, 0), await _rig.QueueStateAsync());
        Assert.Empty(_rig.Bus.EventsOf(command.JobId));

        await _rig.StartWorkerAsync();
        var succeeded = await _rig.SucceededAsync(command.JobId);
        await Task.Delay(QuietPeriod);

        var events = _rig.Bus.EventsOf(command.JobId);
        Assert.Single(events.OfType<ImageGenerationStarted>());
        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Empty(events.OfType<ImageGenerationFailed>());
        Assert.Single(_rig.GenerationsFor(command.JobId));
        var image = Assert.Single(succeeded.Images);
        Assert.Equal((1536, 1024), (image.Width, image.Height));
        _rig.AssertStored(succeeded);
        Assert.Equal(1, _rig.Storage.Storage.Puts);
        Assert.Equal(new QueueState(0, 1), await _rig.QueueStateAsync());
    }
}
