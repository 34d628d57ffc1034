using System.Text.RegularExpressions;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// Makes a provider's own error text fit to pass on: one line, at most <see cref="MaxLength"/> characters,
/// with anything that looks like a credential removed. Providers echo keys back more often than one
/// would think ("Incorrect API key provided: sk-…"), and these messages end up in job records and logs.
/// </summary>
public static partial class ProviderMessage
{
    public const int MaxLength = 500;
    public const string Redacted = "[redacted]";

    /// <summary>The cleaned message; empty when nothing useful remains.</summary>
    public static string Clean(string? message, string? knownSecret = null)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return string.Empty;
        }

        var text = Redact(message, knownSecret);
        text = Whitespace().Replace(text, " ").Trim();
        text = SchemeCredentials().Replace(text, m => LooksLikeKey(m.Groups[2].Value) ? $"{m.Groups[1].Value} {Redacted}" : m.Value);
        text = PrefixedKey().Replace(text, m => LooksLikeKey(m.Groups[1].Value) ? Redacted : m.Value);
        text = GoogleKey().Replace(text, Redacted);
        text = SecretQueryParameter().Replace(text, m => $"{m.Groups[1].Value}={Redacted}");
        text = LongToken().Replace(text, m => LooksLikeSecret(m.Value) ? Redacted : m.Value);
        if (text.Length > MaxLength)
        {
            // Never cut a surrogate pair in half.
            var cut = char.IsHighSurrogate(text[MaxLength - 2]) ? MaxLength - 2 : MaxLength - 1;
            text = string.Concat(text.AsSpan(0, cut), "…");
        }

        return text;
    }

    /// <summary>Replaces every occurrence of <paramref name="secret"/>; the last line of defence when the secret is known.</summary>
    public static string Redact(string text, string? secret) =>
        string.IsNullOrEmpty(secret) || secret.Length < 4 ? text : text.Replace(secret, Redacted, StringComparison.Ordinal);

    // Words follow "Bearer" or "sk-" in prose too ("Bearer tokens", "api-version"); keys have digits, masks, or length.
    private static bool LooksLikeKey(string token) =>
        token.Length >= 20 || (token.Length >= 8 && token.Any(c => char.IsAsciiDigit(c) || c == '*'));

    // A long run of letters and digits with both kinds in it is a key or token far more often than it
    // is prose; identifiers in the UUID shape (request ids worth keeping for support) are left alone.
    private static bool LooksLikeSecret(string token)
    {
        if (Guid.TryParse(token, out _))
        {
            return false;
        }

        var (letters, digits) = (0, 0);
        foreach (var c in token)
        {
            if (char.IsAsciiLetter(c))
            {
                letters++;
            }
            else if (char.IsAsciiDigit(c))
            {
                digits++;
            }
        }

        return letters > 0 && digits > 0;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // Authorization header values pasted into messages: "Bearer abc", "Basic dXNlcjpwYXNz", "Client-ID abc", "Key abc".
    [GeneratedRegex(@"\b(Bearer|Basic|Client-ID|Key|Token)\s+([A-Za-z0-9._~+/=\-*]+)", RegexOptions.IgnoreCase)]
    private static partial Regex SchemeCredentials();

    // Keys with a vendor prefix: sk-…, sk-proj-…, pk_…, r8_…, hf_…, key-…, also when partly masked with '*'.
    [GeneratedRegex(@"\b(?:sk|pk|rk|r8|hf|fal|key|api|ak|xai|gsk)[-_]([A-Za-z0-9_\-*.]+)", RegexOptions.IgnoreCase)]
    private static partial Regex PrefixedKey();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_\-]{20,}")]
    private static partial Regex GoogleKey();

    [GeneratedRegex(@"\b(key|api_key|apikey|access_token|token|signature|sig|x-amz-signature|x-goog-signature)=[^\s&""']+", RegexOptions.IgnoreCase)]
    private static partial Regex SecretQueryParameter();

    [GeneratedRegex(@"[A-Za-z0-9_\-]{32,}")]
    private static partial Regex LongToken();
}
