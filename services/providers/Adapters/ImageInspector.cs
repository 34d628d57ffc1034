using System.Diagnostics.CodeAnalysis;
using ImageGen.Contracts;
using SkiaSharp;

namespace ImageGen.Providers.Adapters;

/// <summary>What an encoded image really is, read from its bytes rather than from what a provider claims.</summary>
public sealed record ImageDetails(string ContentType, int Width, int Height);

/// <summary>
/// Checks that bytes a provider returned are an image and finds their real type (by magic bytes) and
/// size (from the image header, via SkiaSharp). Providers mislabel content types, and an error page
/// served with status 200 must never be stored as a picture.
/// </summary>
public static class ImageInspector
{
    public const string NotAnImage = "The provider returned data that is not an image.";

    /// <summary>png, jpeg, webp or gif by the file signature; null for anything else.</summary>
    public static string? SniffContentType(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        return null;
    }

    /// <summary>The type and size of <paramref name="bytes"/>, or false when they are not a png, jpeg, webp or gif image with a readable header.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out ImageDetails? details)
    {
        details = null;
        if (SniffContentType(bytes) is not { } contentType)
        {
            return false;
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            return false;
        }

        details = new ImageDetails(contentType, codec.Info.Width, codec.Info.Height);
        return true;
    }

    /// <summary>The type and size of <paramref name="bytes"/>; <c>internal</c> failure when they are not an image.</summary>
    public static ImageDetails Inspect(ReadOnlySpan<byte> bytes) =>
        TryInspect(bytes, out var details)
            ? details
            // Retryable: a garbled or substituted answer is usually a one-off, and the next attempt may get a real image.
            : throw ProviderException.Internal(NotAnImage, retryable: true);

    /// <summary>Checked bytes as a <see cref="ProviderImage"/> with their real type and size.</summary>
    public static ProviderImage ToProviderImage(ReadOnlyMemory<byte> bytes, ImageAttribution? attribution = null)
    {
        var details = Inspect(bytes.Span);
        return ProviderImage.FromBytes(bytes, details.ContentType, details.Width, details.Height).WithAttribution(attribution);
    }

    /// <summary>
    /// A checked <see cref="ProviderImage"/> from base64 (OpenAI's <c>b64_json</c>, Google's <c>bytesBase64Encoded</c>,
    /// A1111's <c>images[]</c>) or a <c>data:image/…;base64,</c> URI. Line breaks and padding quirks are tolerated.
    /// </summary>
    public static ProviderImage FromBase64(string base64OrDataUri, ImageAttribution? attribution = null)
    {
        ArgumentNullException.ThrowIfNull(base64OrDataUri);
        var text = base64OrDataUri.AsSpan().Trim();
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = text.IndexOf(',');
            if (comma < 0 || !text[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                throw ProviderException.Internal("The provider returned a data URI that is not base64-encoded image data.", retryable: true);
            }

            text = text[(comma + 1)..];
        }

        var buffer = new byte[text.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(RemoveWhitespace(text), buffer, out var written))
        {
            throw ProviderException.Internal("The provider returned image data that is not valid base64.", retryable: true);
        }

        return ToProviderImage(buffer.AsMemory(0, written), attribution);
    }

    private static ReadOnlySpan<char> RemoveWhitespace(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAny(" \r\n\t"))
        {
            return text;
        }

        var clean = new char[text.Length];
        var length = 0;
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                clean[length++] = c;
            }
        }

        return clean.AsSpan(0, length);
    }
}
