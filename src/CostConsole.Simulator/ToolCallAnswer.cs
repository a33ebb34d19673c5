using System.Text;

namespace CostConsole.Simulator;

/// <summary>A function call the simulated model makes instead of answering in text.</summary>
internal sealed record SimulatedToolCall(string Id, string Name, string Arguments);

/// <summary>
/// Decides whether a request with tools is answered by calling one, and with which arguments. <c>required</c> and a
/// named function always call; <c>auto</c> calls the tool whose name or description shares the most words with the
/// question, when any does and the conversation does not already end with a tool's result (the model then answers
/// from it). Arguments always satisfy the function's JSON Schema.
/// </summary>
internal static class ToolCallAnswer
{
    public static SimulatedToolCall? For(ChatCompletionRequest request, Random random)
    {
        if (request.Tools.Count == 0 || request.ToolChoice == ToolChoiceMode.None)
        {
            return null;
        }

        var tool = request.ToolChoice switch
        {
            ToolChoiceMode.Named => request.Tools.First(t => t.Name == request.ToolChoiceName),
            ToolChoiceMode.Required => BestMatch(request) ?? request.Tools[0],
            _ => request.Messages[^1].Role == "tool" ? null : BestMatch(request),
        };
        if (tool is null)
        {
            return null;
        }

        var arguments = SchemaInstance.Create(tool.Parameters, random, request.Prompt, request.Prompt);
        return new SimulatedToolCall("call_" + Identifier(random), tool.Name, arguments);
    }

    /// <summary>A follow-up turn's answer leads with what the tools returned, as a model reporting back would.</summary>
    public static string? FromToolResults(ChatCompletionRequest request)
    {
        var results = new List<string>();
        for (var i = request.Messages.Count - 1; i >= 0 && request.Messages[i].Role == "tool"; i--)
        {
            results.Insert(0, request.Messages[i].Text.Trim());
        }

        if (results.Count == 0)
        {
            return null;
        }

        var summary = string.Join("; ", results.Where(r => r.Length > 0));
        if (summary.Length > 300)
        {
            summary = summary[..300].TrimEnd() + "...";
        }

        return summary.Length == 0 ? "The tool returned nothing, so I could not look that up." : "Here is what I found: " + summary;
    }

    private static SimulatedTool? BestMatch(ChatCompletionRequest request)
    {
        var promptWords = Words(request.Prompt);
        SimulatedTool? best = null;
        var bestScore = 0;
        foreach (var tool in request.Tools)
        {
            var toolWords = Words(SplitName(tool.Name) + " " + tool.Description);
            var score = toolWords.Count(word => promptWords.Any(p => SameStem(p, word)));
            if (score > bestScore)
            {
                best = tool;
                bestScore = score;
            }
        }

        return best;
    }

    private static HashSet<string> Words(string text) =>
        SchemaInstance.WordPattern().Matches(text)
            .Select(m => m.Value.ToLowerInvariant())
            .Where(w => w.Length > 3 && !SchemaInstance.StopWords.Contains(w))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>"weather" and "weathers", "order" and "ordered": the same word for a simple question.</summary>
    private static bool SameStem(string left, string right)
    {
        var length = Math.Min(Math.Min(left.Length, right.Length), 6);
        return length >= 4 && left.AsSpan(0, length).SequenceEqual(right.AsSpan(0, length))
               && Math.Abs(left.Length - right.Length) <= 3;
    }

    /// <summary>get_weather, getWeather and get-weather all read as "get weather".</summary>
    private static string SplitName(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '_' or '-' or '.')
            {
                builder.Append(' ');
            }
            else
            {
                if (char.IsUpper(c) && i > 0 && char.IsLower(name[i - 1]))
                {
                    builder.Append(' ');
                }

                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string Identifier(Random random)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(24, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[r.Next(alphabet.Length)];
            }
        });
    }
}
