using ImageGen.Contracts;

namespace ImageGen.Providers.Adapters.Builtin;

/// <summary>
/// The offline provider: renders pictures with <see cref="ProceduralRenderer"/> instead of calling anyone.
/// For running ImageGen with no keys and for tests, not an AI model; its output says so by its model id.
/// </summary>
public sealed class BuiltinProviderAdapter : IImageProviderAdapter
{
    public const string Id = "builtin";
    public const string ModelId = "procedural-v1";
    public const int MaxCount = 10;

    public string ProviderId => Id;

    public bool RequiresCredential => false;

    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);

        var contentType = request.OutputFormat.ContentType();
        var images = new List<ProviderImage>(request.Count);
        for (var i = 0; i < request.Count; i++)
        {
            // seed + i: each image of a batch differs, and the batch is reproducible from its first seed.
            var seed = unchecked(request.Seed + i);
            images.Add(ProviderImage.FromStream(
                ct => Render(request, seed, ct), contentType, request.Width, request.Height));
        }

        return Task.FromResult(new ProviderResult(ModelId, images));
    }

    // Drawn only when the consumer reads it, so a batch of large images is never all in memory at once.
    private static ValueTask<Stream> Render(ProviderRequest request, long seed, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = new MemoryStream();
        ProceduralRenderer.Render(request.Prompt, request.NegativePrompt, seed, request.Width, request.Height, request.OutputFormat, buffer);
        buffer.Position = 0;
        return ValueTask.FromResult<Stream>(buffer);
    }

    private static void Validate(ProviderRequest request)
    {
        if (request.Model.Length > 0 && !string.Equals(request.Model, ModelId, StringComparison.OrdinalIgnoreCase))
        {
            throw ProviderException.InvalidRequest($"The {Id} provider has one model, '{ModelId}'; '{request.Model}' is not available.");
        }

        if (request.Width is < ProceduralRenderer.MinSide or > ProceduralRenderer.MaxSide
            || request.Height is < ProceduralRenderer.MinSide or > ProceduralRenderer.MaxSide)
        {
            throw ProviderException.InvalidRequest(
                $"The {Id} provider renders {ProceduralRenderer.MinSide} to {ProceduralRenderer.MaxSide} pixels per side; {request.Width}x{request.Height} was asked for.");
        }

        if (request.Count is < 1 or > MaxCount)
        {
            throw ProviderException.InvalidRequest($"The {Id} provider makes 1 to {MaxCount} images per request; {request.Count} was asked for.");
        }
    }
}
