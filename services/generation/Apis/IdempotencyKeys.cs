using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Apis;

/// <summary>
/// The <c>Idempotency-Key</c> request header of job submissions: the same key with the same request gives the
/// job that key first created; the same key with a different request is refused with 409.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>Set on an answer that returns the job an earlier request with the same key created.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public const int MaxLength = 255;

    /// <summary>How long a key is remembered; after that it may create a new job.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>The key of the request (null when it has none), or a problem when it is malformed.</summary>
    public static (string? Key, IResult? Problem) Read(HttpContext context)
    {
        var values = context.Request.Headers[Header];
        if (values.Count == 0)
        {
            return (null, null);
        }

        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key.Any(c => c is < '!' or > '~'))
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid Idempotency-Key",
                detail: $"Send one {Header} header of 1 to {MaxLength} visible ASCII characters (a UUID is a good choice)."));
        }

        return (key, null);
    }

    /// <summary>A digest of what was asked, per endpoint, to tell a retry from a reused key.</summary>
    public static string Fingerprint<T>(string endpoint, T request, bool withOwnKey)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new { endpoint, request, withOwnKey });
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public static IResult Conflict(string key) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Idempotency-Key reused",
        detail: $"The {Header} '{key}' was already used with a different request in the last {Lifetime.TotalHours:0} hours. Use a new key for a new request, or send exactly the same request to get its job.");
}
