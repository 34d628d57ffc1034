using ImageGen.Providers.Adapters;
using ImageGen.Providers.Polling;
using ImageGen.Providers.Tests.Fakes;
using ImageGen.Testing;
using Microsoft.Extensions.Configuration;

namespace ImageGen.Providers.Tests.Polling;

/// <summary>The Redis schedule itself: leases, wake-ups by the provider's task id, and taking a task off exactly once.</summary>
public sealed class Keeping_the_poll_schedule : IAsyncLifetime
{
    private readonly string _provider = $"schedule-{Guid.NewGuid():N}"[..20];
    private StackExchange.Redis.ConnectionMultiplexer _redis = null!;
    private ProviderPollSchedule _schedule = null!;

    public async Task InitializeAsync()
    {
        _redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        _schedule = new ProviderPollSchedule(_redis, new ConfigurationBuilder().Build(), new FixedOptionsMonitor<ProviderSettings>(new ProviderSettings()));
    }

    public async Task DisposeAsync()
    {
        var schedule = ProviderPollSchedule.ScheduleKey(_provider);
        await _redis.GetDatabase().KeyDeleteAsync([schedule, ProviderPollSchedule.TasksKey(_provider), $"{schedule}:by-task", $"{schedule}:leases", $"{schedule}:wakes"]);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_wake_up_makes_a_waiting_task_due_at_once()
    {
        var now = DateTimeOffset.UtcNow;
        var task = Task("task-a", now);
        await _schedule.AddAsync(task, now.AddHours(1));

        Assert.Equal(WakeResult.Due, await _schedule.WakeAsync(_provider, "task-a", now));

        Assert.Equal(task.TaskId, Assert.Single(await _schedule.ClaimDueAsync(_provider, now, TimeSpan.FromMinutes(1), 10)).TaskId);
    }

    [Fact]
    public async Task A_wake_up_during_a_poll_makes_the_task_due_as_soon_as_that_poll_reschedules_it()
    {
        var now = DateTimeOffset.UtcNow;
        var task = Task("task-b", now);
        await _schedule.AddAsync(task, now);
        Assert.Single(await _schedule.ClaimDueAsync(_provider, now, TimeSpan.FromMinutes(5), 10));

        Assert.Equal(WakeResult.AfterCurrentPoll, await _schedule.WakeAsync(_provider, "task-b", now.AddSeconds(1)));
        // Not claimable twice while the poll runs…
        Assert.Empty(await _schedule.ClaimDueAsync(_provider, now.AddSeconds(2), TimeSpan.FromMinutes(5), 10));
        // …and the poll's "ask again in an hour" becomes "now", since the provider said it finished meanwhile.
        Assert.True(await _schedule.RescheduleAsync(task with { PollCount = 1 }, now.AddHours(1), now.AddSeconds(3)));

        Assert.Equal(now.AddSeconds(3).ToUnixTimeMilliseconds(), (await _schedule.DueAsync(_provider, task.Key))!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_lease_is_renewed_only_while_its_poll_holds_the_task()
    {
        var now = DateTimeOffset.UtcNow;
        var task = Task("task-c", now);
        await _schedule.AddAsync(task, now);
        Assert.False(await _schedule.RenewLeaseAsync(task, now.AddMinutes(10)));
        Assert.Single(await _schedule.ClaimDueAsync(_provider, now, TimeSpan.FromMinutes(1), 10));

        Assert.True(await _schedule.RenewLeaseAsync(task, now.AddMinutes(10)));
        Assert.Empty(await _schedule.ClaimDueAsync(_provider, now.AddMinutes(5), TimeSpan.FromMinutes(1), 10));
        Assert.True(await _schedule.RescheduleAsync(task, now.AddMinutes(20), now.AddMinutes(6)));

        Assert.False(await _schedule.RenewLeaseAsync(task, now.AddMinutes(30)));
        Assert.Equal(now.AddMinutes(20).ToUnixTimeMilliseconds(), (await _schedule.DueAsync(_provider, task.Key))!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_task_is_taken_off_once_and_its_task_id_then_wakes_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        var task = Task("task-d", now);
        await _schedule.AddAsync(task, now.AddHours(1));

        var takers = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _schedule.TakeAsync(_provider, task.Key)));

        Assert.Equal("task-d", Assert.Single(takers, t => t is not null)!.TaskId);
        Assert.Equal(WakeResult.NotScheduled, await _schedule.WakeAsync(_provider, "task-d", now));
        Assert.Null(await _schedule.ReadJsonAsync(_provider, task.Key));
    }

    [Fact]
    public async Task A_task_id_replaced_by_a_resubmission_of_the_same_attempt_no_longer_wakes_it()
    {
        var now = DateTimeOffset.UtcNow;
        await _schedule.AddAsync(Task("task-old", now), now.AddHours(1));
        await _schedule.AddAsync(Task("task-new", now), now.AddHours(1));

        Assert.Equal(WakeResult.NotScheduled, await _schedule.WakeAsync(_provider, "task-old", now));
        Assert.Equal(WakeResult.Due, await _schedule.WakeAsync(_provider, "task-new", now));
    }

    private PendingProviderTask Task(string taskId, DateTimeOffset now) =>
        new(Guid.Parse("6f1d2a9e-0b7c-4c1e-9a43-1c5d8e2f7a10"), 1, "owner-1", _provider, "model", now, now, null, taskId, null, null, 0, now.AddHours(2));
}
