namespace ImageGen.Providers.Adapters;

/// <summary>The encodings the gateway hands out; storage accepts exactly these.</summary>
public enum ImageOutputFormat
{
    Png,
    Jpeg,
    Webp,
}

public static class ImageOutputFormats
{
    /// <summary>Parses the names used in commands (<c>png</c>, <c>jpeg</c> or <c>jpg</c>, <c>webp</c>), ignoring case.</summary>
    public static bool TryParse(string? value, out ImageOutputFormat format)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "png":
                format = ImageOutputFormat.Png;
                return true;
            case "jpeg" or "jpg":
                format = ImageOutputFormat.Jpeg;
                return true;
            case "webp":
                format = ImageOutputFormat.Webp;
                return true;
            default:
                format = default;
                return false;
        }
    }

    public static string ContentType(this ImageOutputFormat format) => format switch
    {
        ImageOutputFormat.Png => "image/png",
        ImageOutputFormat.Jpeg => "image/jpeg",
        ImageOutputFormat.Webp => "image/webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}
