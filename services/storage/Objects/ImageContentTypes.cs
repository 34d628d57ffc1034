using System.Diagnostics.CodeAnalysis;

namespace ImageGen.Storage.Objects;

/// <summary>The image types the store accepts, and the key extension each one gets.</summary>
public static class ImageContentTypes
{
    private static readonly (string ContentType, string Extension)[] Known =
    [
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
        ("image/webp", "webp"),
        ("image/gif", "gif"),
    ];

    public static IReadOnlyList<string> ContentTypes { get; } = [.. Known.Select(k => k.ContentType)];

    public static IReadOnlyList<string> Extensions { get; } = [.. Known.Select(k => k.Extension)];

    /// <summary>
    /// Maps a MIME type to its extension. Media types are case-insensitive and may carry parameters
    /// ("image/png; q=1"), which say nothing about the format and are ignored.
    /// </summary>
    public static bool TryGetExtension(string? contentType, [NotNullWhen(true)] out string? extension)
    {
        extension = null;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var separator = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (separator < 0 ? contentType : contentType[..separator]).Trim();
        foreach (var (known, ext) in Known)
        {
            if (string.Equals(mediaType, known, StringComparison.OrdinalIgnoreCase))
            {
                extension = ext;
                return true;
            }
        }

        return false;
    }

    public static bool IsKnownExtension(string extension) => Known.Any(k => string.Equals(k.Extension, extension, StringComparison.Ordinal));

    public static string FromExtension(string extension) =>
        Known.FirstOrDefault(k => string.Equals(k.Extension, extension, StringComparison.Ordinal)).ContentType
        ?? throw new ArgumentException($"'{extension}' is not a storable image extension.", nameof(extension));
}
