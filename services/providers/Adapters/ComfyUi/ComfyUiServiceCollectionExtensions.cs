using ImageGen.Providers.Adapters.ComfyUi;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class ComfyUiServiceCollectionExtensions
{
    /// <summary>
    /// A self-hosted ComfyUI server (asynchronous: queued by the consumer, polled by the poll scheduler, which this registers too;
    /// canceled jobs are taken off its queue or interrupted). Configuration: <c>Providers:comfyui:BaseUrl</c> (default
    /// <c>http://127.0.0.1:8188/</c>), <c>Providers:comfyui:Timeout</c> (the attempt's deadline, default 10 minutes),
    /// <c>Providers:comfyui:ApiKey</c> (only behind an authenticating proxy: <c>user:password</c> is sent as Basic, anything else
    /// as Bearer), <c>Options:WorkflowPath</c> (an API-format workflow with placeholders, see <see cref="ComfyUiWorkflow"/>; the
    /// built-in SDXL graph when unset), <c>Options:Checkpoint</c> (default <c>sd_xl_base_1.0.safetensors</c>), <c>Options:Steps</c>
    /// (25), <c>Options:CfgScale</c> (7), <c>Options:Sampler</c> (euler), <c>Options:Scheduler</c> (normal), <c>Options:OutputNode</c>
    /// (collect only that node's images), <c>Options:PollInterval</c> (1 s) and <c>Options:MaxPollInterval</c> (3 s).
    /// </summary>
    public static IServiceCollection AddComfyUiProvider(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpProviderAdapter<ComfyUiAdapter>(ComfyUiAdapter.Id, ComfyUiAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
