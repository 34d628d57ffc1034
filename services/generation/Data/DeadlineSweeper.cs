using ImageGen.Generation.Apis;
using ImageGen.Generation.Notifications;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Data;

/// <summary>
/// Ends jobs that are past their deadline, whatever kept them from ending: a lost command, a worker that died with
/// its task, an outcome that never came. Runs on every replica; each overdue job is taken by exactly one.
/// </summary>
public sealed partial class DeadlineSweeper(
    JobRepository jobs, JobCompletionNotifier notifier, IOptions<GenerationOptions> options, TimeProvider clock, ILogger<DeadlineSweeper> logger) : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                IReadOnlyList<Guid> ended;
                do
                {
                    ended = await jobs.TimeOutOverdueAsync(clock.GetUtcNow(), BatchSize, stoppingToken);
                    foreach (var id in ended)
                    {
                        LogTimedOut(id);
                        await notifier.PublishAsync(id);
                    }
                }
                while (ended.Count == BatchSize);

                await Task.Delay(options.Value.SweepInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database is briefly unreachable: the next sweep catches up.
                LogSweepFailed(ex);
                await Task.Delay(options.Value.SweepInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} passed its deadline and was failed with timeout")]
    private partial void LogTimedOut(Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for overdue jobs failed; trying again at the next sweep")]
    private partial void LogSweepFailed(Exception exception);
}
