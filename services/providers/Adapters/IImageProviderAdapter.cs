namespace ImageGen.Providers.Adapters;

/// <summary>
/// One image provider (OpenAI, Stability, Replicate, the built-in renderer, …) behind a single shape,
/// so the consumer that takes commands off the queue, stores images and publishes outcomes is written once.
/// </summary>
/// <remarks>
/// Adapters translate <see cref="ProviderRequest"/> into the provider's own parameters and map every
/// provider failure to a <see cref="ProviderException"/> carrying one of
/// <see cref="ImageGen.Contracts.ErrorCodes"/>. Anything else they throw is reported as <c>internal</c>.
/// Providers that work asynchronously (submit, then poll or wait for a webhook) complete the returned
/// task only when the images can be read; the consumer does not care how long that takes.
/// Adapters are singletons and must be safe to call concurrently.
/// </remarks>
public interface IImageProviderAdapter
{
    /// <summary>Lowercase id that names the provider in commands, events and its queue (<c>provider-{id}</c>).</summary>
    string ProviderId { get; }

    /// <summary>
    /// True when the provider cannot be called without a key. The worker then refuses commands that
    /// bring no per-request key while none is configured (<c>Providers:{id}:ApiKey</c>), and reports
    /// itself as unable to authenticate, so the orchestrator lists the provider as unavailable.
    /// </summary>
    bool RequiresCredential { get; }

    Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken);
}
