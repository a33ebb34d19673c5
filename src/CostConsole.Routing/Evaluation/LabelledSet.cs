using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

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
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = false,
            DetectColumnCountChanges = false,
            IgnoreBlankLines = true,
            BadDataFound = args => throw new LabelledSetException(
                $"Line {args.Context.Parser?.RawRow ?? 0}: a quote inside an unquoted prompt; quote the whole prompt and double the quotes inside (\"\")."),
        };
        using var csv = new CsvReader(new StringReader(text), configuration);
        var prompts = new List<LabelledPrompt>();
        var first = true;
        while (csv.Read())
        {
            var raw = csv.Parser.RawRecord;
            var line = csv.Parser.RawRow - raw.TrimEnd('\r', '\n').Count(c => c == '\n');
            if (raw.Count(c => c == '"') % 2 == 1)
            {
                // The parser reads an unclosed quote to the end of the text; say so rather than take it all as one prompt.
                throw new LabelledSetException($"Line {line}: a quoted prompt is never closed.");
            }

            var fields = csv.Parser.Record ?? [];
            if (fields.Length == 1 && string.IsNullOrWhiteSpace(fields[0]))
            {
                continue;
            }

            if (first && fields.Length >= 2 && fields[0].Trim().Equals("prompt", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }

            first = false;
            if (fields.Length != 2)
            {
                throw new LabelledSetException($"Line {line}: expected two fields, prompt and tier, but found {fields.Length}. Quote prompts that contain commas.");
            }

            prompts.Add(new LabelledPrompt(fields[0], fields[1].Trim(), line));
        }

        return prompts;
    }
}
