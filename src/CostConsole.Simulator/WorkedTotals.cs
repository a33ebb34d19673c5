using System.Globalization;

namespace CostConsole.Simulator;

/// <summary>
/// Billing answers show their arithmetic — seats times price, a prorated refund, a total with tax — and a small model
/// sometimes gets it wrong, as real ones do. That is what the arithmetic-consistency gate catches on a fresh install.
/// </summary>
internal static class WorkedTotals
{
    private static readonly string[] Cues =
    [
        "invoice", "billing", "bill", "charge", "refund", "plan", "subscription", "seat", "price", "pricing", "cost",
        "total", "upgrade", "downgrade", "prorat", "tax", "order",
    ];

    /// <summary>How much of <see cref="SimulatorSettings.ArithmeticSlipRate"/> a model of this capability reaches: the strongest never slips.</summary>
    public static double SlipRate(double rate, double capability) => rate * Math.Clamp((0.9 - capability) / 0.55, 0, 1);

    /// <summary>The answer with a worked calculation added when the prompt is about money; wrong at <paramref name="slipRate"/>.</summary>
    public static string Append(string answer, string prompt, double slipRate, Random random)
    {
        if (!Cues.Any(cue => prompt.Contains(cue, StringComparison.OrdinalIgnoreCase)))
        {
            return answer;
        }

        var slip = random.NextDouble() < slipRate;
        var (sentence, total) = Compose(random);
        var shown = slip ? total + ((random.Next(2) == 0 ? -1 : 1) * (random.Next(1, 9) + (random.Next(4) * 10))) : total;
        return answer + " " + string.Format(CultureInfo.InvariantCulture, sentence, shown.ToString("0.00", CultureInfo.InvariantCulture));
    }

    private static (string Sentence, decimal Total) Compose(Random random)
    {
        var price = random.Next(8, 60) + (random.Next(4) * 0.25m);
        switch (random.Next(4))
        {
            case 0:
                {
                    var seats = random.Next(2, 25);
                    return (FormattableString.Invariant($"For {seats} seats at ${price:0.00} each, the monthly total is {seats} × ${price:0.00} = ${{0}}."), seats * price);
                }

            case 1:
                {
                    var days = random.Next(3, 28);
                    var monthly = price * 10;
                    return (FormattableString.Invariant($"Prorated for the {days} unused days of a 30-day month, the refund is ${monthly:0.00} × {days} / 30 = ${{0}}."), Math.Round(monthly * days / 30, 2));
                }

            case 2:
                {
                    var subtotal = price * random.Next(2, 9);
                    return (FormattableString.Invariant($"With 20% VAT the invoice comes to ${subtotal:0.00} × 1.2 = ${{0}}."), subtotal * 1.2m);
                }

            default:
                {
                    var credit = random.Next(5, 20);
                    return (FormattableString.Invariant($"After your ${credit}.00 credit, you pay ${price:0.00} - ${credit}.00 = ${{0}} this month."), price - credit);
                }
        }
    }
}
