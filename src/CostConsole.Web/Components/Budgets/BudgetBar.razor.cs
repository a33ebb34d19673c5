using System.Globalization;
using CostConsole.Web.Budgets;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Budgets;

/// <summary>
/// One budget as a three-segment bar: spent, reserved for requests in flight, remaining. Green while spend is below
/// the budget's first alert threshold, amber from it, red once the budget is exhausted. Screen readers get the bar's
/// name and its figures as text.
/// </summary>
public sealed partial class BudgetBar
{
    public const string Ok = "ok";
    public const string Warning = "warning";
    public const string Exhausted = "exhausted";

    [Parameter, EditorRequired]
    public BudgetState State { get; set; } = null!;

    /// <summary>ok, warning or exhausted.</summary>
    public static string LevelOf(BudgetState state)
    {
        if (state.IsExhausted)
        {
            return Exhausted;
        }

        var first = state.Budget.Thresholds.Where(t => t < 100).DefaultIfEmpty(100).Min();
        return (state.SpentNanoUsd + state.ReservedNanoUsd) * 100m >= (decimal)state.Budget.LimitNanoUsd * first ? Warning : Ok;
    }

    private string Level => LevelOf(State);

    private string Colour => Level switch
    {
        Exhausted => "var(--mud-palette-error)",
        Warning => "var(--mud-palette-warning)",
        _ => "var(--mud-palette-success)",
    };

    /// <summary>Reserved as far as it fits under the limit (a budget past its limit shows spent only).</summary>
    private long Reserved => Math.Min(State.ReservedNanoUsd, Math.Max(0, State.Budget.LimitNanoUsd - State.SpentNanoUsd));

    private long Used => State.SpentNanoUsd + State.ReservedNanoUsd;

    private string Percent => State.Budget.LimitNanoUsd <= 0 ? "0" : (100m * Used / State.Budget.LimitNanoUsd).ToString("0.0", CultureInfo.InvariantCulture);

    private string StateWord => Level switch
    {
        Exhausted => "exhausted",
        Warning => "past its alert threshold",
        _ => "within budget",
    };

    private string ValueText =>
        $"{Usd(State.SpentNanoUsd)} spent, {Usd(State.ReservedNanoUsd)} reserved, {Usd(State.RemainingNanoUsd)} remaining of {Usd(State.Budget.LimitNanoUsd)}; {Percent} % used, {StateWord}";

    private string Caption => $"{Percent} % used · {StateWord}";

    private string Width(long part)
    {
        var limit = State.Budget.LimitNanoUsd;
        var share = limit <= 0 ? 0m : Math.Clamp(100m * part / limit, 0m, 100m);
        return "width:" + share.ToString("0.###", CultureInfo.InvariantCulture) + "%";
    }

    private static string Nano(long nano) => (nano / 1e9m).ToString("0.######", CultureInfo.InvariantCulture);

    private static string Usd(long nano) => BudgetGuard.Usd(nano);
}
