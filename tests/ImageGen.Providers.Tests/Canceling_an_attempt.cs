using ImageGen.Contracts;

namespace ImageGen.Providers.Tests;

public class Canceling_an_attempt
{
    [Fact]
    public async Task A_cancel_stops_the_running_provider_call_and_no_outcome_is_reported()
    {
        await using var worker = await KeyedProviderWorker.StartAsync(apiKey: "sk-worker-key");
        var command = worker.Command(prompt: "hang until canceled");

        await worker.Bus.SendAsync(worker.ProviderId, command);
        await WaitUntil(() => worker.Provider.RequestsTo("/v1/images/generations").Any(r => r.BodyText.Contains("hang until canceled")));
        await worker.Bus.PublishAsync(new GenerationCanceled(command.JobId, command.Attempt, worker.ProviderId, DateTimeOffset.UtcNow));
        await WaitUntil(() => worker.Logs.Lines.Any(l => l.Everything.Contains("the caller canceled the job", StringComparison.Ordinal)));

        var events = worker.Bus.EventsOf(command.JobId);
        Assert.Contains(events, e => e is ImageGenerationStarted);
        Assert.DoesNotContain(events, e => e is ImageGenerationSucceeded or ImageGenerationFailed);
    }

    [Fact]
    public async Task A_cancel_for_another_provider_or_job_leaves_the_attempt_running_to_its_outcome()
    {
        await using var worker = await KeyedProviderWorker.StartAsync(apiKey: "sk-worker-key");
        var command = worker.Command(prompt: "a calm sea");

        await worker.Bus.PublishAsync(new GenerationCanceled(command.JobId, command.Attempt, "some-other-provider", DateTimeOffset.UtcNow));
        await worker.Bus.PublishAsync(new GenerationCanceled(Guid.NewGuid(), 1, worker.ProviderId, DateTimeOffset.UtcNow));
        var events = await worker.RunAsync(command);

        Assert.Single(events.OfType<ImageGenerationSucceeded>());
    }

    // Bounded waits for asynchronous delivery, not timing requirements.
    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected state was not reached within 30 s");
            await Task.Delay(50);
        }
    }
}
