using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Dashboard;

/// <summary>Spend today and this month, savings, requests, fallback, error and escalation rates and the cache-read share of input tokens, each against the period before.</summary>
public sealed partial class HeadlineCards
{
    /// <summary>Whether a rise is good news, bad news or neither.</summary>
    public enum Direction
    {
        Neutral,
        UpIsGood,
        UpIsBad,
    }

    public sealed record Card(string Id, string Title, string Value, string Change, double? Delta, Direction Direction, string? Note = null);

    [Parameter, EditorRequired]
    public HeadlineFigures? Figures { get; set; }

    /// <summary>
    /// The live view: the window's cards add up the live ticks, while today and this month come from the rollups,
    /// written every two seconds, so those two say they trail the live line by a few seconds.
    /// </summary>
    [Parameter]
    public bool Live { get; set; }

    /// <summary>The live tick the window's cards were computed up to; null outside the live view.</summary>
    private long? _sequence;

    /// <summary>New figures from the live stream; only the cards re-render.</summary>
    /// <param name="sequence">The last tick of the window the figures add up.</param>
    public void Show(HeadlineFigures figures, long? sequence = null)
    {
        Figures = figures;
        _sequence = sequence;
        StateHasChanged();
    }

    public IReadOnlyList<Card> Cards()
    {
        if (Figures is not { } f)
        {
            return
            [
                new("spend-today", "Spend today", "…", "", null, Direction.Neutral),
                new("spend-month", "Spend this month", "…", "", null, Direction.Neutral),
                new("savings", "Savings vs baseline", "…", "", null, Direction.Neutral),
                new("requests", "Requests", "…", "", null, Direction.Neutral),
                new("fallback-rate", "Fallback rate", "…", "", null, Direction.Neutral),
                new("error-rate", "Error rate", "…", "", null, Direction.Neutral),
                new("escalation-rate", "Escalation rate", "…", "", null, Direction.Neutral),
                new("cache-reads", "Cache-read share", "…", "", null, Direction.Neutral),
            ];
        }

        var range = f.RangeName;
        var recorded = Live ? "; every request counted once recorded, as in the live line" : "";
        return
        [
            Amount("spend-today", "Spend today", f.Today.Spend, f.Yesterday.Spend, "yesterday by this hour", Direction.Neutral, "since 00:00 UTC" + recorded),
            Amount("spend-month", "Spend this month", f.Month.Spend, f.PreviousMonth.Spend, "last month by this day", Direction.Neutral, "since the 1st, 00:00 UTC" + recorded),
            Share("savings", "Savings vs baseline", f.Range.SavingsRate, f.PreviousRange.SavingsRate, Direction.UpIsGood, $"{Dashboard.Figures.Usd(f.Range.Savings)} saved in {range}"),
            Count("requests", "Requests", f.Range.Requests, f.PreviousRange.Requests, $"in {range}"),
            Share("fallback-rate", "Fallback rate", f.Range.FallbackRate, f.PreviousRange.FallbackRate, Direction.UpIsBad, $"{Dashboard.Figures.Count(f.Range.FallbackRequests)} {Plural(f.Range.FallbackRequests, "request")} fell back in {range}"),
            Share("error-rate", "Error rate", f.Range.ErrorRate, f.PreviousRange.ErrorRate, Direction.UpIsBad, $"{Dashboard.Figures.Count(f.Range.Errors)} failed or rejected in {range}"),
            Share("escalation-rate", "Escalation rate", f.Range.EscalationRate, f.PreviousRange.EscalationRate, Direction.UpIsBad, $"{Dashboard.Figures.Count(f.Range.EscalatedRequests)} {Plural(f.Range.EscalatedRequests, "request")} escalated, {Dashboard.Figures.Usd(f.Range.EscalationCost)} on quality control in {range}"),
            Share("cache-reads", "Cache-read share", f.Range.CacheReadShare, f.PreviousRange.CacheReadShare, Direction.UpIsGood, $"{Dashboard.Figures.Count(f.Range.CachedTokens)} of {Dashboard.Figures.Count(f.Range.PromptTokens)} input tokens read from provider caches in {range}"),
        ];
    }

    private static Card Amount(string id, string title, decimal current, decimal previous, string against, Direction direction, string note)
    {
        var change = Dashboard.Figures.RelativeChange(current, previous);
        var text = change is { } c ? $"{Dashboard.Figures.Signed(c * 100, " %")} vs {against}" : $"nothing {against} to compare";
        return new Card(id, title, Dashboard.Figures.Usd(current), text, change, direction, note);
    }

    private static Card Count(string id, string title, long current, long previous, string note)
    {
        var change = previous == 0 ? (double?)null : (current - previous) / (double)previous;
        var text = change is { } c ? $"{Dashboard.Figures.Signed(c * 100, " %")} vs the period before" : "no traffic in the period before";
        return new Card(id, title, Dashboard.Figures.Count(current), text, change, Direction.Neutral, note);
    }

    private static Card Share(string id, string title, double? current, double? previous, Direction direction, string note)
    {
        var change = current is { } c && previous is { } p ? (c - p) * 100 : (double?)null;
        var text = change is { } d ? $"{Dashboard.Figures.Signed(d, " pts")} vs the period before" : "no traffic in the period before";
        return new Card(id, title, Dashboard.Figures.Percent(current), text, change, direction, note);
    }

    private static string ChangeClass(Card card) => (card.Direction, card.Delta) switch
    {
        (Direction.UpIsGood, > 0.0001) or (Direction.UpIsBad, < -0.0001) => "cc-good",
        (Direction.UpIsGood, < -0.0001) or (Direction.UpIsBad, > 0.0001) => "cc-bad",
        _ => "mud-text-secondary",
    };

    private static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}
