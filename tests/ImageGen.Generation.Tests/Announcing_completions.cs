using ImageGen.Generation.Notifications;
using ImageGen.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ImageGen.Generation.Tests;

public class Announcing_completions
{
    [Fact]
    public async Task A_completion_is_broadcast_over_redis_to_every_replica()
    {
        await using var replicaA = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await using var replicaB = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var waiting = new JobCompletionNotifier(replicaA, NullLogger<JobCompletionNotifier>.Instance);
        var completing = new JobCompletionNotifier(replicaB, NullLogger<JobCompletionNotifier>.Instance);
        await waiting.StartAsync(CancellationToken.None);

        var jobId = Guid.NewGuid();
        var received = new TaskCompletionSource<string>();
        await replicaA.GetSubscriber().SubscribeAsync(JobCompletionNotifier.Channel, (_, value) =>
        {
            if (value == jobId.ToString())
            {
                received.TrySetResult(value!);
            }
        });

        var done = false;
        var wait = waiting.WaitAsync(jobId, TimeSpan.FromSeconds(30), _ => Task.FromResult(Volatile.Read(ref done)), CancellationToken.None);
        Volatile.Write(ref done, true);
        await completing.PublishAsync(jobId);

        Assert.Equal(jobId.ToString(), await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await wait);
    }

    [Fact]
    public async Task A_wait_gives_up_at_its_timeout_when_the_job_never_ends()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var notifier = new JobCompletionNotifier(redis, NullLogger<JobCompletionNotifier>.Instance);

        var finished = await notifier.WaitAsync(Guid.NewGuid(), TimeSpan.FromMilliseconds(300), _ => Task.FromResult(false), CancellationToken.None);

        Assert.False(finished);
    }
}
