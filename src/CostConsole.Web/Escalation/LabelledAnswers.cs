using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace CostConsole.Web.Escalation;

/// <summary>A labelled file could not be used; the message names the line and the reason. Nothing was evaluated.</summary>
public sealed class LabelledAnswersException(int line, string reason) : Exception($"Line {line}: {reason}")
{
    public int Line { get; } = line;

    public string Reason { get; } = reason;
}

/// <summary>Which model answered for the cheap tier and which for the tier an escalation goes to: <c>small=A,large=B</c>.</summary>
public sealed record TierPair(string SmallTier, string SmallModel, string LargeTier, string LargeModel)
{
    /// <summary>Reads <c>small=A,large=B</c>; the first tier is the one whose gates are evaluated.</summary>
    public static TierPair Parse(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var pairs = parts.Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries)).ToList();
        if (pairs.Count != 2 || pairs.Any(p => p.Length != 2 || p[0].Length == 0 || p[1].Length == 0))
        {
            throw new ArgumentException($"Give two tiers with the model column that answered for each, cheap first: --tiers small=MODEL_A,large=MODEL_B (got '{text}').");
        }

        return new TierPair(pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1]);
    }

    public override string ToString() => $"{SmallTier}={SmallModel},{LargeTier}={LargeModel}";
}

/// <summary>One labelled prompt: how good each tier's answer was (0..1) and what the cheap tier answered.</summary>
public sealed record LabelledAnswer(int Line, string Prompt, double SmallQuality, double LargeQuality, string SmallResponse)
{
    /// <summary>The cheap answer's confidence (0..1), from an optional <c>&lt;model&gt;_confidence</c> column.</summary>
    public double? SmallConfidence { get; init; }

    /// <summary>A judge's score (1..5) of the cheap answer, from an optional <c>&lt;model&gt;_judge</c> column.</summary>
    public double? SmallJudge { get; init; }

    /// <summary>What each call cost in USD, from optional <c>&lt;model&gt;_cost</c> columns.</summary>
    public decimal? SmallCost { get; init; }

    public decimal? LargeCost { get; init; }
}

/// <summary>The rows of a labelled file, and how many were left out because a model was not run on them (empty label).</summary>
public sealed record LabelledAnswerSet(IReadOnlyList<LabelledAnswer> Rows, int Skipped, bool HasConfidence, bool HasJudge, bool HasCosts);

/// <summary>
/// Reads the shape public routing benchmarks publish, as CSV (CsvHelper) or JSONL: a <c>prompt</c> column, one
/// True/False (or 0–1) column per model and a <c>&lt;model&gt;_response</c> column per model.
/// </summary>
public static class LabelledAnswersReader
{
    public const int MaxRows = 200_000;

    /// <summary>Reads CSV, or JSONL when the first non-blank character is '{'.</summary>
    public static LabelledAnswerSet Read(TextReader reader, TierPair tiers)
    {
        var text = reader.ReadToEnd();
        var first = text.AsSpan().TrimStart();
        if (first.IsEmpty)
        {
            throw new LabelledAnswersException(1, "the file is empty.");
        }

        return first[0] == '{' ? ReadJsonLines(text, tiers) : ReadCsv(text, tiers);
    }

    private static LabelledAnswerSet ReadCsv(string text, TierPair tiers)
    {
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            MissingFieldFound = null,
            BadDataFound = args => throw new LabelledAnswersException(args.Context.Parser?.RawRow ?? 0, $"malformed CSV near \"{Clip(args.RawRecord)}\" (a quote inside an unquoted field, or an unclosed quote)."),
            DetectColumnCountChanges = false,
        };
        using var csv = new CsvReader(new StringReader(text), configuration);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
        {
            throw new LabelledAnswersException(1, "the file has no header row.");
        }

        var columns = FindColumns(header, tiers, 1);
        var rows = new List<LabelledAnswer>();
        var skipped = 0;
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            if (csv.Parser.Count != header.Length)
            {
                throw new LabelledAnswersException(line, $"the row has {csv.Parser.Count} fields, the header has {header.Length}.");
            }

            if (Row(line, i => csv.GetField(i), columns) is { } row)
            {
                rows.Add(row);
                Limit(rows.Count, line);
            }
            else
            {
                skipped++;
            }
        }

        return Done(rows, skipped, columns);
    }

    private static LabelledAnswerSet ReadJsonLines(string text, TierPair tiers)
    {
        var rows = new List<LabelledAnswer>();
        var skipped = 0;
        Columns? columns = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            Dictionary<string, JsonElement>? fields;
            try
            {
                fields = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line);
            }
            catch (JsonException ex)
            {
                throw new LabelledAnswersException(lineNumber, $"not a JSON object: {ex.Message}");
            }

            if (fields is null)
            {
                throw new LabelledAnswersException(lineNumber, "not a JSON object.");
            }

            var names = fields.Keys.ToArray();
            if (columns is null)
            {
                columns = FindColumns(names, tiers, lineNumber);
            }

            var values = columns.Names.Select(n => fields.TryGetValue(n, out var v) ? v : default).ToArray();
            if (Row(lineNumber, i => Text(values[i]), columns) is { } row)
            {
                rows.Add(row);
                Limit(rows.Count, lineNumber);
            }
            else
            {
                skipped++;
            }
        }

        return Done(rows, skipped, columns!);
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    private sealed record Columns(string[] Names, int Prompt, int SmallLabel, int LargeLabel, int SmallResponse, int SmallConfidence, int SmallJudge, int SmallCost, int LargeCost);

    private static Columns FindColumns(string[] names, TierPair tiers, int line)
    {
        int Find(string name) => Array.FindIndex(names, n => string.Equals(n.Trim(), name, StringComparison.OrdinalIgnoreCase));

        var prompt = Find("prompt");
        if (prompt < 0)
        {
            throw new LabelledAnswersException(line, $"there is no 'prompt' column (columns: {string.Join(", ", names.Take(12))}).");
        }

        var models = names.Where(n => !n.EndsWith("_response", StringComparison.OrdinalIgnoreCase) && !string.Equals(n, "prompt", StringComparison.OrdinalIgnoreCase)).Take(12);
        int Label(string model, string tier)
        {
            var index = Find(model);
            return index >= 0
                ? index
                : throw new LabelledAnswersException(line, $"unknown model column '{model}' for tier '{tier}' (model columns: {string.Join(", ", models)}).");
        }

        var smallLabel = Label(tiers.SmallModel, tiers.SmallTier);
        var largeLabel = Label(tiers.LargeModel, tiers.LargeTier);
        var response = Find(tiers.SmallModel + "_response");
        if (response < 0)
        {
            throw new LabelledAnswersException(line, $"there is no '{tiers.SmallModel}_response' column: the gates need the answers of '{tiers.SmallModel}'.");
        }

        return new Columns(names, prompt, smallLabel, largeLabel, response, Find(tiers.SmallModel + "_confidence"), Find(tiers.SmallModel + "_judge"), Find(tiers.SmallModel + "_cost"), Find(tiers.LargeModel + "_cost"));
    }

    /// <summary>The row, or null when a model was not run on it (an empty label).</summary>
    private static LabelledAnswer? Row(int line, Func<int, string?> field, Columns columns)
    {
        var smallText = field(columns.SmallLabel);
        var largeText = field(columns.LargeLabel);
        if (string.IsNullOrWhiteSpace(smallText) || string.IsNullOrWhiteSpace(largeText))
        {
            return null;
        }

        var prompt = field(columns.Prompt);
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new LabelledAnswersException(line, "the prompt is empty.");
        }

        return new LabelledAnswer(
            line,
            prompt,
            Quality(smallText, columns.Names[columns.SmallLabel], line),
            Quality(largeText, columns.Names[columns.LargeLabel], line),
            field(columns.SmallResponse) ?? "")
        {
            SmallConfidence = Optional(field, columns.SmallConfidence, columns, line, 0, 1),
            SmallJudge = Optional(field, columns.SmallJudge, columns, line, 1, 5),
            SmallCost = (decimal?)Optional(field, columns.SmallCost, columns, line, 0, 1_000),
            LargeCost = (decimal?)Optional(field, columns.LargeCost, columns, line, 0, 1_000),
        };
    }

    private static double Quality(string text, string column, int line)
    {
        var trimmed = text.Trim();
        if (bool.TryParse(trimmed, out var flag))
        {
            return flag ? 1 : 0;
        }

        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
            ? value
            : throw new LabelledAnswersException(line, $"column '{column}' holds '{Clip(trimmed)}'; a label is True/False or a number from 0 to 1.");
    }

    private static double? Optional(Func<int, string?> field, int index, Columns columns, int line, double min, double max)
    {
        if (index < 0 || field(index) is not { } text || string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new LabelledAnswersException(line, $"column '{columns.Names[index]}' holds '{Clip(text)}'; expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
    }

    private static void Limit(int count, int line)
    {
        if (count > MaxRows)
        {
            throw new LabelledAnswersException(line, $"the file has more than {MaxRows:N0} rows; split it.");
        }
    }

    private static LabelledAnswerSet Done(List<LabelledAnswer> rows, int skipped, Columns columns)
    {
        if (rows.Count == 0)
        {
            throw new LabelledAnswersException(1, skipped > 0 ? "every row has an empty label for one of the two models." : "the file has a header but no rows.");
        }

        return new LabelledAnswerSet(
            rows,
            skipped,
            rows.Any(r => r.SmallConfidence is not null),
            rows.Any(r => r.SmallJudge is not null),
            rows.All(r => r.SmallCost is not null && r.LargeCost is not null));
    }

    private static string Clip(string? text) => text is null ? "" : text.Length <= 40 ? text.Trim() : text[..40].Trim() + "…";
}
