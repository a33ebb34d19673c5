using System.Text;
using System.Text.Json;

namespace CostConsole.Routing.Evaluation;

/// <summary>A prompt with the tier a person says it should get.</summary>
public sealed record LabelledPrompt(string Prompt, string ExpectedTier, int Line);

/// <summary>A labelled set could not be read; the message names the line and what is wrong.</summary>
public sealed class LabelledSetException(string message) : Exception(message);

/// <summary>
/// Reads labelled prompts from CSV (<c>prompt,tier</c>, an optional header, RFC 4180 quoting) or JSONL
/// (<c>{"prompt": "…", "tier": "…"}</c> per line). The format is recognised from the first non-empty line.
/// </summary>
public static class LabelledSetReader
{
    public const int MaxPrompts = 10_000;

    public static IReadOnlyList<LabelledPrompt> Parse(string text, IReadOnlyCollection<string> tiers)
    {
        var firstLine = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)
            ?? throw new LabelledSetException("The labelled set is empty: paste or upload prompts with their expected tier.");
        var prompts = firstLine.StartsWith('{') ? ReadJsonLines(text) : ReadCsv(text);
        if (prompts.Count == 0)
        {
            throw new LabelledSetException("The labelled set has a header but no prompts.");
        }

        if (prompts.Count > MaxPrompts)
        {
            throw new LabelledSetException($"The labelled set has {prompts.Count:N0} prompts; at most {MaxPrompts:N0} are checked at once.");
        }

        var known = new HashSet<string>(tiers, StringComparer.OrdinalIgnoreCase);
        foreach (var prompt in prompts)
        {
            if (string.IsNullOrWhiteSpace(prompt.Prompt))
            {
                throw new LabelledSetException($"Line {prompt.Line}: the prompt is empty.");
            }

            if (!known.Contains(prompt.ExpectedTier))
            {
                throw new LabelledSetException($"Line {prompt.Line}: '{prompt.ExpectedTier}' is not a tier; use one of {string.Join(", ", tiers)}.");
            }
        }

        return [.. prompts.Select(p => p with { ExpectedTier = tiers.First(t => string.Equals(t, p.ExpectedTier, StringComparison.OrdinalIgnoreCase)) })];
    }

    private static List<LabelledPrompt> ReadJsonLines(string text)
    {
        var prompts = new List<LabelledPrompt>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String
                    || !(root.TryGetProperty("tier", out var tier) || root.TryGetProperty("expected_tier", out tier)) || tier.ValueKind != JsonValueKind.String)
                {
                    throw new LabelledSetException($"Line {i + 1}: expected an object with string fields \"prompt\" and \"tier\".");
                }

                prompts.Add(new LabelledPrompt(prompt.GetString()!, tier.GetString()!.Trim(), i + 1));
            }
            catch (JsonException ex)
            {
                throw new LabelledSetException($"Line {i + 1} is not valid JSON: {ex.Message}");
            }
        }

        return prompts;
    }

    private static List<LabelledPrompt> ReadCsv(string text)
    {
        var prompts = new List<LabelledPrompt>();
        var records = CsvRecords(text).ToList();
        var start = 0;
        if (records.Count > 0 && records[0].Fields.Count >= 2
            && records[0].Fields[0].Trim().Equals("prompt", StringComparison.OrdinalIgnoreCase))
        {
            start = 1;
        }

        foreach (var (fields, line) in records.Skip(start))
        {
            if (fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0]))
            {
                continue;
            }

            if (fields.Count != 2)
            {
                throw new LabelledSetException($"Line {line}: expected two fields, prompt and tier, but found {fields.Count}. Quote prompts that contain commas.");
            }

            prompts.Add(new LabelledPrompt(fields[0], fields[1].Trim(), line));
        }

        return prompts;
    }

    private static IEnumerable<(List<string> Fields, int Line)> CsvRecords(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var line = 1;
        var recordLine = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return (fields, recordLine);
                    fields = [];
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (quoted)
        {
            throw new LabelledSetException($"Line {recordLine}: a quoted prompt is never closed.");
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return (fields, recordLine);
        }
    }
}
