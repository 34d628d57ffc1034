using System.Runtime.ExceptionServices;

namespace ImageGen.Providers.Adapters;

/// <summary>For providers whose API makes one image per call: a job for n images is n calls.</summary>
public static class OneImagePerCall
{
    /// <summary>
    /// Makes <paramref name="count"/> one-image calls at once. The first failure cancels the calls still running
    /// and is what the job reports, carrying what the calls already made cost (they are paid for either way).
    /// </summary>
    public static async Task<ProviderImage[]> GenerateEachAsync(
        int count, decimal? perImageUsd, Func<int, CancellationToken, Task<ProviderImage>> generate, CancellationToken cancellationToken)
    {
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? firstFailure = null;
        var made = 0;

        async Task<ProviderImage> One(int index)
        {
            try
            {
                var image = await generate(index, failFast.Token);
                Interlocked.Increment(ref made);
                return image;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !failFast.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref firstFailure, ex, null);
                await failFast.CancelAsync();
                throw;
            }
        }

        var calls = Enumerable.Range(0, count).Select(One).ToArray();
        try
        {
            return await Task.WhenAll(calls);
        }
        catch when (firstFailure is not null && !cancellationToken.IsCancellationRequested)
        {
            var spent = (perImageUsd ?? 0m) * Volatile.Read(ref made);
            if (firstFailure is ProviderException failure && spent > 0m)
            {
                throw new ProviderException(failure.Code, failure.Message, failure.Retryable, failure.InnerException)
                {
                    RetryAfter = failure.RetryAfter,
                    CostUsd = spent + (failure.CostUsd ?? 0m),
                };
            }

            // Not whichever canceled sibling Task.WhenAll happens to report first.
            ExceptionDispatchInfo.Throw(firstFailure);
            throw;
        }
    }
}
