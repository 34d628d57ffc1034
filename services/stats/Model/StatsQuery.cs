using System.Globalization;

namespace ImageGen.Stats.Model;

/// <summary>What the outcomes are grouped by.</summary>
public enum StatsGrouping
{
    Provider,
    Model,
    Day,
}

/// <summary>A validated statistics query: outcomes completed in [From, To), optionally of one owner.</summary>
public sealed record StatsQuery(DateTimeOffset From, DateTimeOffset To, StatsGrouping GroupBy, string? Owner)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);

    /// <summary>Caps the rows one request can scan; a year and a day still covers any calendar year.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    public const string AcceptedGroupings = "provider, model, day";

    private const string TimeExamples = "2025-01-31 or 2025-01-31T12:00:00Z";

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>
    /// Validates raw query parameters. A missing <c>to</c> is <paramref name="now"/>, a missing
    /// <c>from</c> is <see cref="DefaultWindow"/> before <c>to</c>. A date without a time is midnight
    /// UTC for <c>from</c> and the end of that day for <c>to</c>, so <c>from=2025-01-01&amp;to=2025-01-31</c>
    /// is the whole of January.
    /// </summary>
    /// <returns>The query, or <c>null</c> with <paramref name="errors"/> keyed by parameter name.</returns>
    public static StatsQuery? Create(string? from, string? to, string? groupBy, string? owner, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = [];

        var grouping = StatsGrouping.Provider;
        if (!string.IsNullOrWhiteSpace(groupBy) && !TryParseGrouping(groupBy, out grouping))
        {
            errors["group_by"] = [$"Unknown group_by '{Shorten(groupBy)}'. Accepted values: {AcceptedGroupings}."];
        }

        DateTimeOffset? toValue = now.ToUniversalTime();
        if (!string.IsNullOrWhiteSpace(to))
        {
            toValue = ParseTime(to, endOfDay: true);
            if (toValue is null)
            {
                errors["to"] = [NotATime("to", to)];
            }
        }

        DateTimeOffset? fromValue = toValue - DefaultWindow;
        if (!string.IsNullOrWhiteSpace(from))
        {
            fromValue = ParseTime(from, endOfDay: false);
            if (fromValue is null)
            {
                errors["from"] = [NotATime("from", from)];
            }
        }

        if (fromValue is { } f && toValue is { } t)
        {
            if (f > t)
            {
                errors["from"] = [$"from ({f:O}) is after to ({t:O}). Give a from that is at or before to."];
            }
            else if (t - f > MaxWindow)
            {
                errors["to"] = [$"The window from {f:O} to {t:O} spans {(t - f).TotalDays:0.#} days; at most {MaxWindow.TotalDays:0} days can be queried at once. Narrow from or to."];
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new StatsQuery(fromValue!.Value, toValue!.Value, grouping, string.IsNullOrWhiteSpace(owner) ? null : owner.Trim());
    }

    public static string Name(StatsGrouping grouping) => grouping switch
    {
        StatsGrouping.Provider => "provider",
        StatsGrouping.Model => "model",
        StatsGrouping.Day => "day",
        _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, null),
    };

    private static bool TryParseGrouping(string value, out StatsGrouping grouping)
    {
        foreach (var candidate in Enum.GetValues<StatsGrouping>())
        {
            if (string.Equals(Name(candidate), value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                grouping = candidate;
                return true;
            }
        }

        grouping = default;
        return false;
    }

    private static DateTimeOffset? ParseTime(string value, bool endOfDay)
    {
        value = value.Trim();
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            if (endOfDay && date == DateOnly.MaxValue)
            {
                return null;
            }

            var midnight = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? midnight.AddDays(1) : midnight;
        }

        // A timestamp without an offset is taken as UTC: the service has no time zone of its own.
        return DateTimeOffset.TryParseExact(value, TimestampFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp)
            ? timestamp
            : null;
    }

    private static string NotATime(string parameter, string value) =>
        $"{parameter} '{Shorten(value)}' is not an ISO-8601 date or timestamp. Use e.g. {TimeExamples}; " +
        "encode the '+' of an offset as %2B.";

    // Echo enough of a bad value to recognise it without reflecting arbitrary amounts of input.
    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
