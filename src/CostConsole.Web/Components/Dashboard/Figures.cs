using System.Globalization;

namespace CostConsole.Web.Components.Dashboard;

/// <summary>How the console writes money, shares and changes.</summary>
public static class Figures
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Dollars with the precision the amount needs: $0.000123, $1.2345, $1,234.56.</summary>
    public static string Usd(decimal value)
    {
        var sign = value < 0 ? "−" : "";
        var a = Math.Abs(value);
        return sign + a switch
        {
            0m => "$0",
            < 0.01m => "$" + a.ToString("0.000000", Invariant),
            < 100m => "$" + a.ToString("#,0.0000", Invariant),
            _ => "$" + a.ToString("#,0.00", Invariant),
        };
    }

    public static string Percent(double? share) => share is { } s ? (s * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "—";

    public static string Count(long value) => value.ToString("#,0", Invariant);

    /// <summary>Relative change of an amount: "+12.5 %", or null when there is nothing to compare with.</summary>
    public static double? RelativeChange(decimal current, decimal previous) => previous == 0m ? null : (double)((current - previous) / previous);

    public static string Signed(double value, string unit) => (value >= 0 ? "+" : "−") + Math.Abs(value).ToString("0.0", CultureInfo.InvariantCulture) + unit;
}
