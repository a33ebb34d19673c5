using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Dashboard;

/// <summary>
/// Batch spend and what the batch price saved against the interactive price, and what providers' prompt caches saved
/// against the input price, over the dashboard's range and filters, each against the period before. The batch cards
/// are hidden until a batch was made; the caching card while no provider read input from its cache.
/// </summary>
public sealed partial class DiscountCards
{
    public sealed record Card(string Id, string Title, string Value, string Change, double? Delta, bool UpIsGood, string Note);

    [Parameter]
    public DiscountDashboardFigures? Figures { get; set; }

    public IReadOnlyList<Card> Cards()
    {
        if (Figures is not { } f)
        {
            return [];
        }

        var range = f.RangeName;
        var (r, p) = (f.Range, f.PreviousRange);
        var cards = new List<Card>();
        if (f.ShowsBatches)
        {
            cards.Add(Amount(
                "batch-spend", "Batch spend", r.BatchSpend, p.BatchSpend, upIsGood: false, "no batch spend in the period before",
                $"{Dashboard.Figures.Count(r.BatchLines)} batch {Plural(r.BatchLines, "line")} in {range}; {Dashboard.Figures.Usd(r.BatchAtInteractivePrice)} at the interactive price"));
            cards.Add(Amount(
                "batch-saved", "Saved by batch price", r.BatchSaved, p.BatchSaved, upIsGood: true, "nothing saved in the period before",
                r.BatchSavedShare is { } share
                    ? $"{Dashboard.Figures.Percent(share)} off the interactive price of the batch lines in {range}"
                    : $"no priced batch lines in {range}"));
        }

        if (f.ShowsCaching)
        {
            cards.Add(Amount(
                "caching-saved", "Saved by provider caching", r.CachingSaved, p.CachingSaved, upIsGood: true, "nothing saved in the period before",
                $"{Dashboard.Figures.Count(r.CachedTokens)} input {Plural(r.CachedTokens, "token")} read from provider caches in {range}, at the cached-input price"));
        }

        return cards;
    }

    private static Card Amount(string id, string title, decimal current, decimal previous, bool upIsGood, string nothingBefore, string note)
    {
        var change = Dashboard.Figures.RelativeChange(current, previous);
        return new Card(id, title, Dashboard.Figures.Usd(current), change is { } c ? $"{Dashboard.Figures.Signed(c * 100, " %")} vs the period before" : nothingBefore, change, upIsGood, note);
    }

    private static string ChangeClass(Card card) => card.UpIsGood
        ? card.Delta switch
        {
            > 0.0001 => "cc-good",
            < -0.0001 => "cc-bad",
            _ => "mud-text-secondary",
        }
        : "mud-text-secondary";

    private static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}
