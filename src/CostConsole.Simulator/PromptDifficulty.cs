namespace CostConsole.Simulator;

/// <summary>
/// A rough 0..1 estimate of how hard a prompt is: what a real model's quality would depend on.
/// Short FAQ-style questions land around 0.1–0.25; long multi-part analysis requests approach 1.
/// </summary>
internal static class PromptDifficulty
{
    // Words that ask for reasoning rather than recall; each distinct one found adds difficulty.
    private static readonly string[] AnalysisCues =
    [
        "analyse", "analyze", "analysis", "compare", "comparison", "explain why", "step by step", "step-by-step",
        "forecast", "calculate", "estimate", "strategy", "strategic", "trade-off", "tradeoff", "trade off",
        "root cause", "a plan", "plan for", "action plan", "planning", "multi-step", "reconcile", "evaluate", "prioritise", "prioritize", "optimise",
        "optimize", "correlat", "projection", "derive", "justify", "implications", "scenario", "model the",
        "break down", "recommend",
    ];

    private const double Base = 0.1;

    public static double Estimate(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return Base;
        }

        var text = prompt.ToLowerInvariant();
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

        // Length: nothing for a one-liner, up to 0.3 for a few hundred words.
        var length = Math.Clamp((words - 12) / 250.0, 0, 1) * 0.3;

        var cues = AnalysisCues.Count(cue => text.Contains(cue, StringComparison.Ordinal));
        var analysis = Math.Min(cues * 0.12, 0.55);

        var questions = text.Count(c => c == '?');
        var multipleQuestions = Math.Min(Math.Max(questions - 1, 0) * 0.05, 0.15);

        var code = text.Contains("```", StringComparison.Ordinal) ? 0.15 : 0;

        var numberedSteps = text.Split('\n').Count(line => line.TrimStart() is [>= '1' and <= '9', '.' or ')', ..]);
        var steps = Math.Min(numberedSteps * 0.03, 0.1);

        return Math.Clamp(Base + length + analysis + multipleQuestions + code + steps, 0, 1);
    }
}
