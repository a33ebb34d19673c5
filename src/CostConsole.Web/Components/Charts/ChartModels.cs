using System.Text.Json.Serialization;

namespace CostConsole.Web.Components.Charts;

public enum ChartType
{
    Area,
    Line,
    Donut,

    /// <summary>Horizontal bars, one per category; stacked when <see cref="ChartOptions.Stacked"/>.</summary>
    Bar,
}

/// <summary>How a chart writes its values: dollars, milliseconds, a share (0–1) or a count.</summary>
public enum ChartFormat
{
    Count,
    Usd,
    Ms,
    Percent,
}

/// <summary>What a line chart's x values are.</summary>
public enum ChartXAxis
{
    /// <summary>Unix milliseconds (UTC).</summary>
    Time,

    /// <summary>A share from 0 to 1, written in tenths of a per cent (0–1000) so it fits <see cref="ChartPoint.X"/>.</summary>
    Share,

    /// <summary>The number of a conversation's turn, from 1.</summary>
    Turn,
    /// <summary>A similarity from 0 to 1, written in hundredths (0–100) and shown as 0.00–1.00; single points are marked.</summary>
    Similarity,
}

/// <summary>One point: <see cref="X"/> is Unix milliseconds (UTC) on time charts, tenths of a per cent on share charts.</summary>
public readonly record struct ChartPoint([property: JsonPropertyName("x")] long X, [property: JsonPropertyName("y")] double? Y);

/// <summary>A named series. A donut takes one series per slice, each with one point.</summary>
public sealed record ChartSeries([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("data")] IReadOnlyList<ChartPoint> Data)
{
    public static ChartSeries Slice(string name, double value) => new(name, [new ChartPoint(0, value)]);
}

/// <summary>What the chart is; everything else is the console's house style, set in <c>wwwroot/js/apexchart.js</c>.</summary>
public sealed record ChartOptions
{
    [JsonIgnore]
    public ChartType Type { get; init; } = ChartType.Line;

    [JsonPropertyName("type")]
    public string TypeName => Type.ToString().ToLowerInvariant();

    [JsonIgnore]
    public ChartFormat Format { get; init; } = ChartFormat.Count;

    [JsonPropertyName("format")]
    public string FormatName => Format.ToString().ToLowerInvariant();

    [JsonIgnore]
    public ChartXAxis XAxis { get; init; } = ChartXAxis.Time;

    [JsonPropertyName("xAxis")]
    public string XAxisName => XAxis.ToString().ToLowerInvariant();

    [JsonPropertyName("height")]
    public int Height { get; init; } = 260;

    [JsonPropertyName("stacked")]
    public bool Stacked { get; init; }

    [JsonPropertyName("colors")]
    public IReadOnlyList<string> Colors { get; init; } = [];

    [JsonPropertyName("noData")]
    public string NoData { get; init; } = "No data in this range";

    /// <summary>Bar charts: the label of each bar; a series' point i (its Y) belongs to category i.</summary>
    [JsonPropertyName("categories")]
    public IReadOnlyList<string>? Categories { get; init; }

    [JsonPropertyName("totalLabel")]
    public string? TotalLabel { get; init; }

    /// <summary>The unit of the vertical axis, written beside it ("USD per second", "ms").</summary>
    [JsonPropertyName("yTitle")]
    public string? YTitle { get; init; }

    /// <summary>What the horizontal axis measures, written under it.</summary>
    [JsonPropertyName("xTitle")]
    public string? XTitle { get; init; }

    /// <summary>Share charts: what the x share is of, in the tooltip ("escalated" when not set).</summary>
    [JsonPropertyName("xLabel")]
    public string? XLabel { get; init; }
}
