using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace CostConsole.Benchmarks;

/// <summary>
/// A percentile of the measured iterations BenchmarkDotNet has no column for (it stops at P95). Each
/// iteration is the mean of many operations, so this is the tail of iteration means, not of single calls;
/// <see cref="Routing.DecisionLatency"/> times single calls.
/// </summary>
public sealed class PercentileColumn(int percentile) : IColumn
{
    public string Id => "P" + percentile.ToString(CultureInfo.InvariantCulture);

    public string ColumnName => Id;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => $"Percentile {percentile} of the iteration means";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (summary[benchmarkCase]?.ResultStatistics is not { } statistics)
        {
            return "NA";
        }

        var nanoseconds = statistics.Percentiles.Percentile(percentile);
        var unit = style.TimeUnit ?? TimeUnit.GetBestTimeUnit(nanoseconds);
        var value = TimeInterval.FromNanoseconds(nanoseconds).ToUnit(unit);
        var text = value.ToString("N2", style.CultureInfo);
        return style.PrintUnitsInContent ? text + " " + unit.Abbreviation : text;
    }

    public override string ToString() => ColumnName;
}
