using ImageGen.Providers.Adapters.Automatic1111;

namespace Microsoft.Extensions.DependencyInjection;

public static class Automatic1111ServiceCollectionExtensions
{
    /// <summary>
    /// A self-hosted AUTOMATIC1111 web UI started with <c>--api</c>. Configuration: <c>Providers:automatic1111:BaseUrl</c>
    /// (default <c>http://127.0.0.1:7860/</c>), <c>Providers:automatic1111:Timeout</c> (raise it for slow hardware),
    /// <c>Providers:automatic1111:Options:Username</c> and <c>Password</c> (only with <c>--api-auth</c>), and the defaults
    /// <c>Options:Steps</c>, <c>CfgScale</c>, <c>Sampler</c>, <c>DenoisingStrength</c>. No API key. A canceled job's generation
    /// is interrupted on the server when it is the one running there (see <see cref="Automatic1111Adapter"/>).
    /// </summary>
    public static IServiceCollection AddAutomatic1111Provider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<Automatic1111Adapter>(Automatic1111Adapter.Id, Automatic1111Adapter.DefaultBaseUrl);
        return services;
    }
}
