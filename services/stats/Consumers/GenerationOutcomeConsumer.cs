using ImageGen.Contracts;
using ImageGen.Stats.Data;
using MassTransit;

namespace ImageGen.Stats.Consumers;

/// <summary>Records every attempt outcome. Redeliveries are harmless: the store keeps the first one.</summary>
public sealed partial class GenerationOutcomeConsumer(OutcomeStore store, ILogger<GenerationOutcomeConsumer> logger)
    : IConsumer<ImageGenerationSucceeded>, IConsumer<ImageGenerationFailed>
{
    public Task Consume(ConsumeContext<ImageGenerationSucceeded> context) =>
        RecordAsync(GenerationOutcome.From(context.Message), context.CancellationToken);

    public Task Consume(ConsumeContext<ImageGenerationFailed> context) =>
        RecordAsync(GenerationOutcome.From(context.Message), context.CancellationToken);

    private async Task RecordAsync(GenerationOutcome outcome, CancellationToken cancellationToken)
    {
        if (!await store.RecordAsync(outcome, cancellationToken))
        {
            LogDuplicate(outcome.JobId, outcome.Attempt);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outcome of job {JobId} attempt {Attempt} was already recorded; ignoring the redelivery")]
    private partial void LogDuplicate(Guid jobId, int attempt);
}
