using System.Diagnostics.CodeAnalysis;

namespace ImageGen.Storage.Objects;

/// <summary>
/// The key of a stored object: <c>&lt;sha256 lowercase hex&gt;.&lt;ext&gt;</c>. This is the only place
/// keys are validated, and the grammar is closed (hex digits, one dot, a fixed set of extensions),
/// so a valid key can never name a path outside the store.
/// </summary>
public readonly record struct StorageKey
{
    private const int HashLength = 64;

    private StorageKey(string sha256, string extension)
    {
        Sha256 = sha256;
        Extension = extension;
    }

    /// <summary>SHA-256 of the object's bytes, lowercase hex.</summary>
    public string Sha256 { get; }

    /// <summary>File extension without the dot: one of <see cref="ImageContentTypes.Extensions"/>.</summary>
    public string Extension { get; }

    public string ContentType => ImageContentTypes.FromExtension(Extension);

    public string Value => $"{Sha256}.{Extension}";

    /// <summary>What a caller is told when a key is refused, so it can fix the request.</summary>
    public static string FormatDescription =>
        $"A storage key is the lowercase hex SHA-256 of the bytes, a dot and one of: {string.Join(", ", ImageContentTypes.Extensions)} (e.g. '{new string('0', HashLength)}.png').";

    public static bool TryParse([NotNullWhen(true)] string? value, out StorageKey key)
    {
        key = default;
        // Checked by hand rather than with a regex: '$' would also accept a trailing newline.
        if (value is null || value.Length <= HashLength + 1 || value[HashLength] != '.' || !IsLowerHex(value.AsSpan(0, HashLength)))
        {
            return false;
        }

        var extension = value[(HashLength + 1)..];
        if (!ImageContentTypes.IsKnownExtension(extension))
        {
            return false;
        }

        key = new StorageKey(value[..HashLength], extension);
        return true;
    }

    /// <summary>The key for bytes with the given digest; <paramref name="extension"/> must be a known one.</summary>
    public static StorageKey FromHash(ReadOnlySpan<byte> sha256, string extension)
    {
        if (sha256.Length != HashLength / 2)
        {
            throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(sha256));
        }

        if (!ImageContentTypes.IsKnownExtension(extension))
        {
            throw new ArgumentException($"'{extension}' is not a storable image extension.", nameof(extension));
        }

        return new StorageKey(Convert.ToHexStringLower(sha256), extension);
    }

    public override string ToString() => Value;

    private static bool IsLowerHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
