using CostConsole.Routing.Rules;

namespace CostConsole.Simulator;

/// <summary>
/// Answers an LLM classifier's request with one of its labels, as a real cheap model would: the easiest third of
/// prompts get the first label, the middle third the middle one, the hardest the last. Weaker models now and then
/// answer a neighbouring label; like everything in the simulator the slip is decided by the request's seed.
/// </summary>
internal static class ClassificationAnswer
{
    /// <summary>The fixed part of the sentence every classifier prompt keeps.</summary>
    internal static readonly string Marker = LlmClassifierDefinition.LabelsInstruction[..LlmClassifierDefinition.LabelsInstruction.IndexOf('{', StringComparison.Ordinal)];

    /// <summary>The label to answer with, or null when the request is not a classification request.</summary>
    public static string? For(ChatCompletionRequest request, double difficulty, SimulatedModelProfile profile, Random random)
    {
        var labels = Labels(request);
        if (labels is null)
        {
            return null;
        }

        var index = Math.Min(labels.Count - 1, (int)(difficulty * labels.Count));
        var slip = Math.Clamp((0.8 - profile.Capability) * 0.5, 0, 0.4);
        if (labels.Count > 1 && random.NextDouble() < slip)
        {
            index = index == 0 ? 1
                : index == labels.Count - 1 ? index - 1
                : index + (random.Next(2) == 0 ? -1 : 1);
        }

        return labels[index];
    }

    /// <summary>The labels listed after the marker in the system message, up to the sentence's end.</summary>
    internal static IReadOnlyList<string>? Labels(ChatCompletionRequest request)
    {
        foreach (var message in request.Messages)
        {
            if (message.Role is not ("system" or "developer"))
            {
                continue;
            }

            var at = message.Text.IndexOf(Marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var rest = message.Text.AsSpan(at + Marker.Length);
            var end = rest.IndexOfAny('.', '\n');
            var list = (end < 0 ? rest : rest[..end]).ToString();
            var labels = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return labels.Length > 0 ? labels : null;
        }

        return null;
    }
}
