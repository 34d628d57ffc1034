using System.Globalization;
using System.Text.RegularExpressions;
using ImageGen.Generation.Model;
using ImageGen.Generation.Providers;

namespace ImageGen.Generation.Validation;

/// <summary>A request that passed validation, bound to the provider and model that will serve it.</summary>
public sealed record ValidatedJob(ProviderDescriptor Provider, ModelDescriptor Model, JobRequest Request);

/// <summary>
/// Checks a request against the provider catalog and fills in defaults. Every problem found is
/// reported at once, keyed by field, with a message that says what would be accepted.
/// </summary>
public sealed partial class JobRequestValidator(ProviderCatalog catalog, Microsoft.Extensions.Options.IOptions<Callbacks.CallbackOptions>? callbacks = null)
{
    public const int MaxPromptLength = 4000;
    public const int MaxImagesPerJob = 4;
    public const long MaxSeed = uint.MaxValue;
    public const int MaxMetadataEntries = 16;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;
    public const int MaxInputImages = 16;

    public const int MaxRoutes = 5;
    public const int MinDeadlineSeconds = 5;
    public const int MaxDeadlineSeconds = 86_400;
    public const string AutoProvider = "auto";

    /// <param name="hasOwnKey">The caller sent its own provider key, so a provider whose workers have none can serve it.</param>
    public (ValidatedJob? Job, Dictionary<string, string[]> Errors) Validate(CreateJobRequest request, bool hasOwnKey = false)
    {
        var auto = string.Equals(request.Provider?.Trim(), AutoProvider, StringComparison.OrdinalIgnoreCase);
        if (request.Providers is null && !auto)
        {
            return ValidateOne(request, hasOwnKey);
        }

        if (request.Providers is not null && (request.Provider is not null || request.Model is not null))
        {
            return (null, new() { ["providers"] = ["Send either providers (a fallback chain of \"provider\" or \"provider/model\" entries) or provider and model, not both."] });
        }

        if (auto && request.Model is not null)
        {
            return (null, new() { ["model"] = ["With provider \"auto\" every capable provider's default model is used; leave model out, or send providers with \"provider/model\" entries."] });
        }

        if (request.Providers is { Count: 0 or > MaxRoutes })
        {
            return (null, new() { ["providers"] = [$"providers must list 1 to {MaxRoutes} entries (\"provider\" or \"provider/model\")."] });
        }

        var candidates = auto
            ? catalog.All().Where(p => p.Enabled).OrderBy(p => p.Provider.Id == "builtin").ThenBy(p => CheapestEstimate(p.Provider)).Select(p => p.Provider.Id).ToList()
            : request.Providers!.Select(p => p?.Trim() ?? string.Empty).ToList();
        if (!auto && candidates.Distinct(StringComparer.Ordinal).Count() != candidates.Count)
        {
            return (null, new() { ["providers"] = ["providers lists an entry twice; name each provider or provider/model once."] });
        }

        // Each route is checked and translated on its own; one that cannot honour the request is left out (said in a
        // warning), so fallback only ever tries providers that can do the job.
        var routes = new List<ValidatedJob>();
        var skipped = new List<string>();
        foreach (var candidate in candidates)
        {
            if (!auto && catalog.Find(candidate.Split('/')[0]) is null && catalog.FindModel(candidate).Count == 0)
            {
                return (null, new() { ["providers"] = [$"'{candidate}' is neither a provider nor a model. Known providers: {string.Join(", ", catalog.All().Select(p => p.Provider.Id))}."] });
            }

            // A caller's own key is sealed for the first route's provider only; later routes use their workers' keys.
            var (job, errors) = ValidateOne(request with { Provider = null, Model = candidate, Providers = null }, hasOwnKey && routes.Count == 0);
            if (job is not null)
            {
                routes.Add(job);
            }
            else if (!auto && IsAboutTheRequestItself(errors))
            {
                return (null, errors);
            }
            else
            {
                skipped.Add($"{candidate} ({string.Join(" ", errors.SelectMany(e => e.Value))})");
            }
        }

        if (routes.Count == 0)
        {
            return (null, new()
            {
                [auto ? "provider" : "providers"] = [$"No provider can take this request now: {string.Join("; ", skipped)}"],
            });
        }

        var first = routes[0];
        var seed = first.Request.Seed;
        var warnings = first.Request.Warnings?.ToList() ?? [];
        if (!auto)
        {
            warnings.AddRange(skipped.Select(s => $"providers: {s} is left out of the fallback chain."));
        }

        var chain = routes.Select(r => new JobRoute(r.Provider.Id, r.Model.Id, r.Request with { Seed = seed })).ToList();
        return (first with { Request = first.Request with { Warnings = warnings, Routes = chain } }, []);
    }

    // Errors a route cannot be skipped for, because every route would have them.
    private static bool IsAboutTheRequestItself(Dictionary<string, string[]> errors) =>
        errors.Keys.Any(k => k is "prompt" or "negative_prompt" or "metadata" or "output_format" or "deadline_seconds" or "callback_url" || (k == "seed" && errors[k].Any(m => m.Contains("between 0 and " + MaxSeed, StringComparison.Ordinal))));

    private static decimal CheapestEstimate(ProviderDescriptor provider) =>
        provider.FindModel(provider.DefaultModel)?.Capabilities.Pricing.EstimateUsd(1024, 1024, 1) ?? decimal.MaxValue;

    private (ValidatedJob? Job, Dictionary<string, string[]> Errors) ValidateOne(CreateJobRequest request, bool hasOwnKey)
    {
        var errors = new Dictionary<string, List<string>>();
        var warnings = new List<string>();
        var strict = request.Strict ?? false;
        void Fail(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        // An adjustment the model needs: a warning on the job, or with "strict" a refusal.
        void Adjust(string field, string message)
        {
            if (strict)
            {
                Fail(field, $"{message} (refused because strict is true).");
            }
            else
            {
                warnings.Add($"{field}: {message}.");
            }
        }

        var prompt = request.Prompt?.Trim();
        if (string.IsNullOrEmpty(prompt))
        {
            Fail("prompt", "prompt is required: describe the image to generate.");
        }
        else if (prompt.Length > MaxPromptLength)
        {
            Fail("prompt", $"prompt is {prompt.Length} characters long; the maximum is {MaxPromptLength}.");
        }

        var negativePrompt = string.IsNullOrWhiteSpace(request.NegativePrompt) ? null : request.NegativePrompt.Trim();
        if (negativePrompt is { Length: > MaxPromptLength })
        {
            Fail("negative_prompt", $"negative_prompt is {negativePrompt.Length} characters long; the maximum is {MaxPromptLength}.");
        }

        var (provider, model) = ResolveTarget(request.Provider, request.Model, hasOwnKey, Fail);

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        int width = 0, height = 0;
        var outputFormat = NormaliseFormat(request.OutputFormat);
        if (outputFormat is not ("png" or "jpeg" or "webp"))
        {
            Fail("output_format", $"output_format '{request.OutputFormat}' is not known; use png, jpeg or webp.");
        }

        if (model is not null)
        {
            var caps = model.Capabilities;
            var target = $"{provider!.Id}/{model.Id}";
            (width, height) = (caps.DefaultWidth, caps.DefaultHeight);
            var askedSize = !string.IsNullOrWhiteSpace(request.Size) && !request.Size.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
            if (askedSize && !TryParseSize(request.Size, out width, out height))
            {
                Fail("size", $"size '{request.Size}' is not of the form WIDTHxHEIGHT, e.g. 1024x1024.");
            }
            else
            {
                var outside = width < SizeSpec.AbsoluteMinSide || width > SizeSpec.AbsoluteMaxSide || height < SizeSpec.AbsoluteMinSide || height > SizeSpec.AbsoluteMaxSide;
                var choice = outside ? null : caps.Sizes.Choose(width, height);
                if (choice is null)
                {
                    Fail("size", $"size {width}x{height} is outside what {target} accepts: {caps.Sizes.Describe()}.");
                }
                else
                {
                    if (choice.Adjustment is not null && askedSize)
                    {
                        Adjust("size", $"{width}x{height} {choice.Adjustment}");
                    }

                    (width, height) = (choice.Width, choice.Height);
                    if (choice.Parameter is { } parameter)
                    {
                        parameters[parameter.Key] = parameter.Value;
                    }
                }
            }

            if (prompt is { Length: > 0 } && prompt.Length <= MaxPromptLength && prompt.Length > caps.MaxPromptLength)
            {
                Fail("prompt", $"prompt is {prompt.Length} characters long; {target} takes at most {caps.MaxPromptLength}.");
            }

            if (negativePrompt is not null && !caps.SupportsNegativePrompt)
            {
                Adjust("negative_prompt", $"{target} does not take a negative prompt, so it is not sent");
                negativePrompt = strict ? negativePrompt : null;
            }

            if (request.Seed is not null && !caps.SupportsSeed)
            {
                Adjust("seed", $"{target} does not take a seed, so results will vary between runs");
            }
            else if (request.Seed > caps.MaxSeed && request.Seed <= MaxSeed)
            {
                Fail("seed", $"seed must be between 0 and {caps.MaxSeed} for {target}.");
            }

            if (outputFormat is "png" or "jpeg" or "webp" && !caps.OutputFormats.Contains(outputFormat))
            {
                var fallback = caps.OutputFormats[0];
                Adjust("output_format", $"{target} makes {string.Join(", ", caps.OutputFormats)}, not {outputFormat}; {fallback} is used");
                outputFormat = strict ? outputFormat : fallback;
            }
        }

        var maxImages = Math.Min(MaxImagesPerJob, model?.Capabilities.MaxImages ?? MaxImagesPerJob);
        var n = request.N ?? 1;
        if (n < 1 || n > maxImages)
        {
            Fail("n", $"n is {n}; it must be between 1 and {maxImages}.");
        }

        if (request.Seed is < 0 or > MaxSeed)
        {
            Fail("seed", $"seed must be between 0 and {MaxSeed}.");
        }

        ValidateMetadata(request.Metadata, Fail);
        ValidateCallbackUrl(request.CallbackUrl, Fail);
        if (request.DeadlineSeconds is < MinDeadlineSeconds or > MaxDeadlineSeconds)
        {
            Fail("deadline_seconds", $"deadline_seconds must be between {MinDeadlineSeconds} and {MaxDeadlineSeconds}; leave it out for the default.");
        }

        ValidateInputImages(request.InputImages, model is null ? null : (model.Capabilities.SupportsImageInput, $"{provider!.Id}/{model.Id}"), Fail);

        if (errors.Count > 0)
        {
            return (null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }

        var seed = request.Seed ?? Random.Shared.NextInt64(0, Math.Min(MaxSeed, model!.Capabilities.MaxSeed) + 1);
        var cost = model!.Capabilities.Pricing.EstimateUsd(width, height, n);
        var inputImages = request.InputImages is { Count: > 0 } images ? images : null;
        var normalised = new JobRequest(prompt!, negativePrompt, width, height, n, seed, outputFormat, request.Metadata, parameters, warnings, cost, strict, inputImages,
            DeadlineSeconds: request.DeadlineSeconds, CallbackUrl: string.IsNullOrWhiteSpace(request.CallbackUrl) ? null : request.CallbackUrl.Trim());
        return (new ValidatedJob(provider!, model, normalised), []);
    }

    /// <summary>
    /// Works out which provider and model serve the request. <paramref name="modelId"/> may be
    /// "provider/model", a model id unique across providers, or a provider id (its default model).
    /// </summary>
    private (ProviderDescriptor? Provider, ModelDescriptor? Model) ResolveTarget(string? providerId, string? modelId, bool hasOwnKey, Action<string, string> fail)
    {
        providerId = string.IsNullOrWhiteSpace(providerId) ? null : providerId.Trim();
        modelId = string.IsNullOrWhiteSpace(modelId) ? null : modelId.Trim();

        if (providerId is null && modelId is not null)
        {
            var slash = modelId.IndexOf('/');
            // "provider/model" only when the prefix names a provider: Hub-style model ids
            // ("stabilityai/stable-diffusion-xl-base-1.0") contain a slash of their own.
            if (slash > 0 && catalog.Find(modelId[..slash]) is not null)
            {
                providerId = modelId[..slash];
                modelId = modelId[(slash + 1)..];
            }
            else
            {
                var matches = catalog.FindModel(modelId);
                if (matches.Count == 1)
                {
                    providerId = matches[0].Provider.Id;
                }
                else if (matches.Count > 1)
                {
                    fail("model", $"model '{modelId}' is offered by several providers ({string.Join(", ", matches.Select(m => m.Provider.Id))}); name one as \"provider/model\".");
                    return (null, null);
                }
                else if (catalog.Find(modelId) is not null)
                {
                    providerId = modelId;
                    modelId = null;
                }
                else
                {
                    fail("model", $"unknown model '{modelId}'. Known models: {KnownModels()}.");
                    return (null, null);
                }
            }
        }

        providerId ??= catalog.DefaultProviderId;
        var availability = catalog.Find(providerId);
        if (availability is null)
        {
            fail("provider", $"unknown provider '{providerId}'. Known providers: {string.Join(", ", catalog.All().Select(p => p.Provider.Id))}.");
            return (null, null);
        }

        if (!(availability.Available || (hasOwnKey && availability.AvailableWithOwnKey)))
        {
            fail("provider", $"provider '{availability.Provider.Id}' is unavailable: {availability.UnavailableReason}");
            return (null, null);
        }

        var provider = availability.Provider;
        var model = provider.FindModel(modelId ?? provider.DefaultModel);
        if (model is null)
        {
            fail("model", $"unknown model '{modelId}' for provider '{provider.Id}'. Its models: {string.Join(", ", provider.Models.Select(m => m.Id))}.");
            return (provider, null);
        }

        return (provider, model);
    }

    private string KnownModels() =>
        string.Join(", ", catalog.All().SelectMany(p => p.Provider.Models.Select(m => $"{p.Provider.Id}/{m.Id}")));

    public static bool TryParseSize(string? size, out int width, out int height)
    {
        width = height = 0;
        var match = size is null ? null : SizePattern().Match(size);
        return match is { Success: true }
               && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out width)
               && int.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out height);
    }

    private static string NormaliseFormat(string? format) =>
        format?.Trim().ToLowerInvariant() switch
        {
            null or "" => "png",
            "jpg" => "jpeg",
            var f => f,
        };

    private void ValidateCallbackUrl(string? url, Action<string, string> fail)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return;
        }

        var options = callbacks?.Value;
        if (options is not { Enabled: true })
        {
            fail("callback_url", "callbacks are not enabled on this deployment (Generation:Callbacks:SigningSecret is not set); poll GET /v1/jobs/{id} instead.");
            return;
        }

        if (url.Length > 2048 || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo))
        {
            fail("callback_url", "callback_url must be an absolute https URL of at most 2048 characters, without credentials in it.");
        }
        else if (uri.Scheme == "http" && !options.AllowPrivateNetworks)
        {
            fail("callback_url", "callback_url must use https.");
        }
    }

    private static void ValidateMetadata(Dictionary<string, string>? metadata, Action<string, string> fail)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataEntries)
        {
            fail("metadata", $"metadata has {metadata.Count} entries; at most {MaxMetadataEntries} are kept.");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength)
            {
                fail("metadata", $"metadata keys must be 1-{MaxMetadataKeyLength} characters long ('{Truncate(key)}' is not).");
            }

            if (value is null || value.Length > MaxMetadataValueLength)
            {
                fail("metadata", $"metadata['{Truncate(key)}'] must be a string of at most {MaxMetadataValueLength} characters.");
            }
        }
    }

    private static void ValidateInputImages(List<string>? images, (bool Supported, string Target)? model, Action<string, string> fail)
    {
        if (images is not { Count: > 0 })
        {
            return;
        }

        if (model is { Supported: false } m)
        {
            fail("input_images", $"{m.Target} does not take input images; choose a model that edits images (see GET /v1/providers).");
            return;
        }

        if (images.Count > MaxInputImages)
        {
            fail("input_images", $"input_images has {images.Count} entries; at most {MaxInputImages} are accepted.");
        }

        foreach (var image in images)
        {
            var isDataUri = image.StartsWith("data:image/png;base64,", StringComparison.Ordinal)
                            || image.StartsWith("data:image/jpeg;base64,", StringComparison.Ordinal)
                            || image.StartsWith("data:image/webp;base64,", StringComparison.Ordinal);
            var isUrl = Uri.TryCreate(image, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http";
            if (!isDataUri && !isUrl)
            {
                fail("input_images", $"'{Truncate(image)}' is neither an http(s) URL nor a data URI of a PNG, JPEG or WebP image.");
            }
        }
    }

    private static string Truncate(string value) => value.Length <= 20 ? value : value[..20] + "…";

    [GeneratedRegex(@"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")]
    private static partial Regex SizePattern();
}
