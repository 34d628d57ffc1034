using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// One provider's configuration, bound from <c>Providers:{id}</c> as the named options instance <c>{id}</c>:
/// read it with <c>IOptionsMonitor&lt;ProviderSettings&gt;.Get(providerId)</c>.
/// </summary>
/// <example>
/// <code>
/// Providers:openai:ApiKey            sk-...            (env Providers__openai__ApiKey)
/// Providers:openai:BaseUrl           https://proxy.example/v1
/// Providers:openai:Timeout           00:03:00
/// Providers:cloudflare:Options:AccountId   0123abcd
/// </code>
/// </example>
public sealed class ProviderSettings
{
    public const string SectionName = "Providers";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The worker's own key for the provider. Never logged; per-request keys take precedence over it.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Where the provider's API is (regions, proxies, self-hosted servers, fakes in tests); null means the adapter's default.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Longest one call to the provider may take, retries of reads included.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Provider-specific extras (Cloudflare's <c>AccountId</c>, a ComfyUI workflow file, …). Look them up with <see cref="Option"/>.</summary>
    public Dictionary<string, string> Options { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool HasApiKey => !string.IsNullOrWhiteSpace(ApiKey);

    public static string SectionFor(string providerId) => $"{SectionName}:{providerId}";

    /// <summary>The configuration key an operator sets to give the worker its key, e.g. <c>Providers:openai:ApiKey</c>.</summary>
    public static string ApiKeyConfigurationKey(string providerId) => $"{SectionFor(providerId)}:ApiKey";

    /// <summary>
    /// An option that is a positive time span (e.g. a poll interval), or null when it is not set. A value that is not one
    /// fails the attempt as <c>internal</c> with a message naming the key, rather than being silently replaced by a default.
    /// </summary>
    public TimeSpan? IntervalOption(string providerId, string name) =>
        Option(name) is not { } value ? null
        : TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero ? interval
        : throw ProviderException.Internal($"{SectionFor(providerId)}:Options:{name} is '{value}'; set a positive time span such as 00:00:05.");

    /// <summary>An entry of <see cref="Options"/>, whatever the case it was configured in; null when absent or blank.</summary>
    public string? Option(string name)
    {
        foreach (var (key, value) in Options)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value))
            {
                return value;
            }
        }

        return null;
    }
}

public static class ProviderSettingsServiceCollectionExtensions
{
    /// <summary>Makes <c>IOptionsMonitor&lt;ProviderSettings&gt;.Get(id)</c> answer for any provider id from <c>Providers:{id}</c>. Idempotent.</summary>
    public static IServiceCollection AddProviderSettings(this IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ProviderSettings>, BindProviderSettings>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProviderSettings>, ValidateProviderSettings>());
        return services;
    }

    // One binder for every name: adapters need not register their own section, and the consumer and the
    // status reporter can read the served provider's settings without knowing which adapter serves it.
    private sealed class BindProviderSettings(IConfiguration configuration) : IConfigureNamedOptions<ProviderSettings>
    {
        public void Configure(ProviderSettings options) => Configure(Microsoft.Extensions.Options.Options.DefaultName, options);

        public void Configure(string? name, ProviderSettings options)
        {
            if (!string.IsNullOrEmpty(name))
            {
                configuration.GetSection(ProviderSettings.SectionFor(name)).Bind(options);
            }
        }
    }

    private sealed class ValidateProviderSettings : IValidateOptions<ProviderSettings>
    {
        public ValidateOptionsResult Validate(string? name, ProviderSettings options)
        {
            var section = ProviderSettings.SectionFor(name ?? string.Empty);
            var failures = new List<string>();
            if (options.Timeout <= TimeSpan.Zero)
            {
                failures.Add($"{section}:Timeout must be positive.");
            }

            if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
            {
                failures.Add($"{section}:BaseUrl must be an absolute http or https URL.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
