using CostConsole.Simulator;

namespace CostConsole.Web.Traffic;

/// <summary>A customer outcome: resolved on first contact or not, and a CSAT score 1–5.</summary>
public readonly record struct SimulatedOutcome(bool Resolved, int Csat);

/// <summary>
/// What a customer would report after a simulated answer: the model's capability against the prompt's difficulty
/// sets the chance the issue is resolved (a logistic curve: a model well above the difficulty almost always
/// resolves, one well below rarely does), and resolution sets the satisfaction score. Seeded, so a demo
/// experiment is reproducible.
/// </summary>
public sealed class SimulatedOutcomes(int seed)
{
    private const double Steepness = 8;
    private const double Margin = 0.1;
    private readonly Random _random = new(seed);

    /// <summary>The chance the customer's issue is resolved by a model of <paramref name="capability"/> on a prompt of <paramref name="difficulty"/>.</summary>
    public static double ResolutionChance(double capability, double difficulty) =>
        Math.Min(0.98, 1 / (1 + Math.Exp(-Steepness * (capability - difficulty + Margin))));

    /// <param name="capability">The answering model's capability, or null when no model answered (an error: never resolved).</param>
    public SimulatedOutcome Draw(double? capability, string prompt)
    {
        double roll, score;
        lock (_random)
        {
            roll = _random.NextDouble();
            score = _random.NextDouble();
        }

        if (capability is not { } c)
        {
            return new(false, 1);
        }

        var resolved = roll < ResolutionChance(c, PromptDifficulty.Estimate(prompt));
        var csat = resolved
            ? score < 0.55 ? 5 : score < 0.9 ? 4 : 3
            : score < 0.4 ? 1 : score < 0.8 ? 2 : 3;
        return new(resolved, csat);
    }
}
