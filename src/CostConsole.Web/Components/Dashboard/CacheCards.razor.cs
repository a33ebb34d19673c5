using CostConsole.Web.Caching;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Dashboard;

/// <summary>
/// What the response cache saved and how often it answered, over the dashboard's range and filters, each against the
/// period before; beside the headline cards' savings from routing. Hidden while the cache is off and has no history.
/// </summary>
public sealed partial class CacheCards
{
    public sealed record Card(string Id, string Title, string Value, string Change, double? Delta, string Note);

    [Parameter]
    public CacheDashboardFigures? Figures { get; set; }

    public IReadOnlyList<Card> Cards()
    {
        if (Figures is not { } f)
        {
            return [];
        }

        var range = f.RangeName;
        var r = f.Range;
        var savedChange = Dashboard.Figures.RelativeChange(r.Saved, f.PreviousRange.Saved);
        var rateChange = r.HitRate is { } c && f.PreviousRange.HitRate is { } p ? (c - p) * 100 : (double?)null;
        var off = f.Enabled ? "" : "; the cache is off now";
        return
        [
            new(
                "cache-saved",
                "Saved by cache",
                Dashboard.Figures.Usd(r.Saved),
                savedChange is { } s ? $"{Dashboard.Figures.Signed(s * 100, " %")} vs the period before" : "nothing saved in the period before",
                savedChange,
                $"{Dashboard.Figures.Count(r.Hits)} {Plural(r.Hits, "answer")} from cache ({Dashboard.Figures.Count(r.ExactHits)} exact, {Dashboard.Figures.Count(r.SemanticHits)} semantic) in {range}{off}"),
            new(
                "cache-hit-rate",
                "Cache hit rate",
                Dashboard.Figures.Percent(r.HitRate),
                rateChange is { } d ? $"{Dashboard.Figures.Signed(d, " pts")} vs the period before" : "no lookups in the period before",
                rateChange,
                r.Lookups == 0
                    ? $"no lookups in {range}{off}"
                    : $"{Dashboard.Figures.Count(r.Hits)} of {Dashboard.Figures.Count(r.Lookups)} {Plural(r.Lookups, "lookup")} in {range}; {Dashboard.Figures.Count(r.Bypassed)} left out by policy{off}"),
        ];
    }

    private static string ChangeClass(Card card) => card.Delta switch
    {
        > 0.0001 => "cc-good",
        < -0.0001 => "cc-bad",
        _ => "mud-text-secondary",
    };

    private static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}
