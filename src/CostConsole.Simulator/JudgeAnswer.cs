namespace CostConsole.Simulator;

/// <summary>
/// Answers a judge model's grading request (a question and an answer, to be scored 1–5) as a real grader would
/// on the simulator's answers: an answer that hedges — which simulated models do when a prompt is beyond them —
/// or refuses scores low; a plain answer scores 4 or 5.
/// </summary>
internal static class JudgeAnswer
{
    /// <summary>How much harder than the model a prompt must be before its answer hedges.</summary>
    public const double HedgingGap = 0.15;

    public static readonly IReadOnlyList<string> Hedges =
    [
        "I am not entirely sure this covers your case, so please double-check it with the team.",
        "This may not be fully accurate; I could not work through every part of the question.",
        "I might be missing something here, so treat this as a first pass.",
    ];

    private static readonly string[] Refusals = ["I can't help", "I cannot help", "I'm unable to", "I am unable to"];

    /// <summary>A score "1"–"5", or null when the request is not a grading request.</summary>
    public static string? For(ChatCompletionRequest request, Random random)
    {
        var text = request.Messages.Count == 0 ? "" : request.Messages[^1].Text;
        var question = text.IndexOf("Question:", StringComparison.OrdinalIgnoreCase);
        var answer = text.LastIndexOf("Answer:", StringComparison.OrdinalIgnoreCase);
        if (question < 0 || answer <= question || !(text.Contains("1", StringComparison.Ordinal) && text.Contains("5", StringComparison.Ordinal))
            || !(text.Contains("score", StringComparison.OrdinalIgnoreCase) || text.Contains("grade", StringComparison.OrdinalIgnoreCase) || text.Contains("digit", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var graded = text[(answer + "Answer:".Length)..];
        if (Refusals.Any(r => graded.Contains(r, StringComparison.OrdinalIgnoreCase)))
        {
            return "1";
        }

        return Hedges.Any(h => graded.Contains(h, StringComparison.Ordinal)) ? "2" : random.NextDouble() < 0.7 ? "5" : "4";
    }
}
