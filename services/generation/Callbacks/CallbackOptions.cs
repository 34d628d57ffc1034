namespace ImageGen.Generation.Callbacks;

/// <summary>Signed completion callbacks (<c>callback_url</c> on a job), bound from <c>Generation:Callbacks</c>.</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Generation:Callbacks";

    /// <summary>
    /// The HMAC-SHA256 key callbacks are signed with; receivers check <c>ImageGen-Signature</c> with it. Unset,
    /// <c>callback_url</c> is refused, since an unsigned callback could not be told from a forged one.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>Tries per callback before it is marked failed; waits grow from 5 s to 30 min between them.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>How long one POST may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Allow http:// callback URLs and private, loopback and link-local addresses (a receiver on the same network).
    /// Off by default: a callback must not become a way to reach internal services.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(SigningSecret);
}
