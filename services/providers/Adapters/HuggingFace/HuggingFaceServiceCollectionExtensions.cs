using ImageGen.Providers.Adapters.HuggingFace;

namespace Microsoft.Extensions.DependencyInjection;

public static class HuggingFaceServiceCollectionExtensions
{
    /// <summary>
    /// The Hugging Face Inference adapter and its HTTP client. Configuration: <c>Providers:huggingface:ApiKey</c> (hf_…),
    /// <c>Providers:huggingface:BaseUrl</c> (default https://router.huggingface.co/hf-inference/),
    /// <c>Providers:huggingface:Timeout</c> (allow for a cold model's loading time when waiting for it),
    /// <c>Providers:huggingface:Options:WaitForModel</c> (default true).
    /// </summary>
    public static IServiceCollection AddHuggingFaceProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<HuggingFaceAdapter>(HuggingFaceAdapter.Id, HuggingFaceAdapter.DefaultBaseUrl);
        return services;
    }
}
