using System.Globalization;

namespace CostConsole.Web.Metrics;

public enum RangeKind
{
    Live,
    Day,
    Week,
    Month,
    Custom,
}

/// <summary>Input the dashboard or the export refused, with a message a person can act on; nothing changed.</summary>
public sealed class MetricsInputException(string message) : Exception(message);

/// <summary>A time window of the dashboard and the size of its chart buckets (at most ~300 points).</summary>
public sealed record MetricsRange(RangeKind Kind, DateTimeOffset From, DateTimeOffset To, TimeSpan Bucket)
{
    public const int MaxCustomDays = 366;

    private static readonly TimeSpan[] BucketSizes =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
        TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1),
    ];

    /// <summary>Hour rollups serve buckets of an hour or more; minute rollups the rest.</summary>
    public bool UsesHours => Bucket >= TimeSpan.FromHours(1);

    public TimeSpan Length => To - From;

    /// <summary>The window of the same length just before this one, for "change versus the previous period".</summary>
    public MetricsRange Previous => this with { From = From - Length, To = From };

    public static MetricsRange Create(RangeKind kind, DateTimeOffset now, DateOnly? customFrom = null, DateOnly? customTo = null) => kind switch
    {
        RangeKind.Live => Sized(kind, now - TimeSpan.FromMinutes(15), now),
        RangeKind.Day => Sized(kind, now - TimeSpan.FromDays(1), now),
        RangeKind.Week => Sized(kind, now - TimeSpan.FromDays(7), now),
        RangeKind.Month => Sized(kind, now - TimeSpan.FromDays(30), now),
        _ => Custom(now, customFrom, customTo),
    };

    /// <summary>Parses the names used in links and exports: live, 24h, 7d, 30d, custom.</summary>
    public static RangeKind ParseKind(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "24h" or "day" => RangeKind.Day,
        "live" or "15m" => RangeKind.Live,
        "7d" or "week" => RangeKind.Week,
        "30d" or "month" => RangeKind.Month,
        "custom" => RangeKind.Custom,
        _ => throw new MetricsInputException($"Unknown range '{text}'. Use live, 24h, 7d, 30d or custom (with from and to dates)."),
    };

    public static string Name(RangeKind kind) => kind switch
    {
        RangeKind.Live => "live",
        RangeKind.Day => "24h",
        RangeKind.Week => "7d",
        RangeKind.Month => "30d",
        _ => "custom",
    };

    public static DateOnly? ParseDate(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new MetricsInputException($"'{text}' is not a date for '{name}': use yyyy-MM-dd (UTC).");
    }

    /// <summary>"5-minute buckets", "3-hour buckets", "1-day buckets".</summary>
    public string BucketName => Bucket switch
    {
        { TotalDays: >= 1 } b => $"{b.TotalDays:0}-day buckets",
        { TotalHours: >= 1 } b => $"{b.TotalHours:0}-hour buckets",
        var b => $"{b.TotalMinutes:0}-minute buckets",
    };

    public string Describe() => Kind switch
    {
        RangeKind.Live => "the last 15 minutes",
        RangeKind.Day => "the last 24 hours",
        RangeKind.Week => "the last 7 days",
        RangeKind.Month => "the last 30 days",
        _ => $"{From:yyyy-MM-dd} to {To.AddTicks(-1):yyyy-MM-dd} (UTC)",
    };

    private static MetricsRange Custom(DateTimeOffset now, DateOnly? from, DateOnly? to)
    {
        if (from is null || to is null)
        {
            throw new MetricsInputException("A custom range needs both a first and a last day.");
        }

        if (to < from)
        {
            throw new MetricsInputException($"The custom range ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd}).");
        }

        var start = new DateTimeOffset(from.Value.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (start > now)
        {
            throw new MetricsInputException($"The custom range starts in the future ({from:yyyy-MM-dd}); today is {now:yyyy-MM-dd} (UTC).");
        }

        if (to.Value.DayNumber - from.Value.DayNumber + 1 > MaxCustomDays)
        {
            throw new MetricsInputException($"A custom range covers at most {MaxCustomDays} days.");
        }

        var end = new DateTimeOffset(to.Value.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return Sized(RangeKind.Custom, start, end < now ? end : now);
    }

    private static MetricsRange Sized(RangeKind kind, DateTimeOffset from, DateTimeOffset to)
    {
        var length = to - from;
        var bucket = BucketSizes.FirstOrDefault(b => length / b <= 300, BucketSizes[^1]);

        // The window starts on a bucket boundary, so the period before it ends exactly where this one begins.
        var start = DateTimeOffset.FromUnixTimeMilliseconds(Data.Metrics.RollupGrid.Floor(from.ToUnixTimeMilliseconds(), (long)bucket.TotalMilliseconds));
        return new MetricsRange(kind, start, to, bucket);
    }
}

/// <summary>The dashboard's filters; null means all.</summary>
/// <param name="Team">Only the keys of this team: what a reporting key without organisation-wide reading sees.</param>
public sealed record MetricsFilter(long? ApiKeyId = null, string? Tier = null, string? Model = null, string? Rule = null, string? Team = null)
{
    public static MetricsFilter None { get; } = new();

    /// <summary>The team filter's value for requests whose key has no team; no key can be given this team name.</summary>
    public const string NoTeam = "No team";

    public bool IsEmpty => ApiKeyId is null && Tier is null && Model is null && Rule is null && Team is null;
}
