using Microsoft.AspNetCore.Builder;

namespace ImageGen.Providers.Tests.Faults;

/// <summary>
/// Holds the OpenAI fake's image generations open until the test releases them, so that an attempt can be caught
/// while its provider call is in flight. The fake records each call before it is held.
/// </summary>
public sealed class HeldGenerations
{
    public const string Path = "/v1/images/generations";

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets every held call, and every later one, go on to the fake's answer.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Maps the hold in front of the fake's endpoints (pass as <c>OpenAiFake.StartAsync(more)</c>).</summary>
    public void Map(WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path == Path)
        {
            try
            {
                await _released.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The caller is gone (its process was killed): there is no one to answer.
                return;
            }
        }

        await next(context);
    });
}
