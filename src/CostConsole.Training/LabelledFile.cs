using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace CostConsole.Training;

/// <summary>
/// Reads a labelled file: CSV (with a header) or JSONL (one object a line), in one of two shapes:
/// <c>prompt,tier</c> (the cheapest acceptable tier), or <c>prompt</c> plus one True/False (or 0–1 score) column
/// per model with a <see cref="TierModels"/> mapping of models to tiers. The whole file is checked before anything
/// is returned: the first problem is refused with its line and reason.
/// </summary>
public static class LabelledFile
{
    /// <summary>The largest file accepted (the console's upload limit too).</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    public const int MaxPromptCharacters = 100_000;

    private static readonly string[] PromptColumns = ["prompt", "question", "text", "instruction"];

    /// <param name="knownTiers">The router's tiers, cheapest first.</param>
    /// <param name="models">Which model columns answer for which tier; required for the per-model shape, ignored for <c>prompt,tier</c>.</param>
    /// <exception cref="LabelledFileException">The file is malformed; the message gives the line and the reason.</exception>
    public static LabelledSet Read(Stream stream, string fileName, IReadOnlyList<string> knownTiers, TierModels? models)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var jsonl = fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
            || (!fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && reader.Peek() == '{');
        var examples = jsonl ? ReadJsonLines(reader, knownTiers, models) : ReadCsv(reader, knownTiers, models);
        if (examples.Examples.Count == 0)
        {
            throw new LabelledFileException(0, "The file has no labelled prompt.");
        }

        return examples with { Source = Path.GetFileName(fileName) };
    }

    public static LabelledSet Read(string path, IReadOnlyList<string> knownTiers, TierModels? models)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new LabelledFileException(0, $"The file '{path}' does not exist.");
        }

        if (info.Length > MaxBytes)
        {
            throw new LabelledFileException(0, $"The file is {info.Length / (1024 * 1024.0):0.#} MB; at most {MaxBytes / (1024 * 1024)} MB is accepted.");
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path, knownTiers, models);
    }

    private static LabelledSet ReadCsv(TextReader text, IReadOnlyList<string> knownTiers, TierModels? models)
    {
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = args => throw new LabelledFileException(args.Context.Parser?.RawRow ?? 0, "a quote in an unquoted field; quote the whole field and double the quotes inside (\"\")."),
            DetectColumnCountChanges = false,
        };
        using var csv = new CsvReader(text, configuration);
        if (!csv.Read())
        {
            throw new LabelledFileException(0, "The file is empty; the first line must be a header such as prompt,tier.");
        }

        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        var shape = Shape.Of(header, knownTiers, models);
        var examples = new List<LabelledPrompt>();
        var previousRaw = csv.Parser.RawRow;
        while (csv.Read())
        {
            var line = previousRaw + 1;
            previousRaw = csv.Parser.RawRow;
            if (csv.Parser.Count == 1 && string.IsNullOrWhiteSpace(csv.GetField(0)))
            {
                continue;
            }

            if (csv.Parser.Count != header.Length)
            {
                throw new LabelledFileException(line, $"{csv.Parser.Count} fields, but the header has {header.Length}.");
            }

            examples.Add(shape.Example(i => csv.GetField(i), line));
        }

        return new LabelledSet(shape.Tiers, examples, "");
    }

    private static LabelledSet ReadJsonLines(TextReader text, IReadOnlyList<string> knownTiers, TierModels? models)
    {
        var examples = new List<LabelledPrompt>();
        Shape? shape = null;
        var line = 0;
        while (text.ReadLine() is { } raw)
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(raw);
            }
            catch (JsonException ex)
            {
                throw new LabelledFileException(line, $"not valid JSON ({ex.Message.Split(" LineNumber", 2)[0].TrimEnd('.', ' ')}).");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new LabelledFileException(line, "each line must be one JSON object, e.g. {\"prompt\": \"…\", \"tier\": \"small\"}.");
                }

                var properties = document.RootElement.EnumerateObject().ToList();
                var names = properties.Select(p => p.Name).ToArray();
                shape ??= Shape.Of(names, knownTiers, models, line);
                var values = shape.Columns.Select(c => properties.FirstOrDefault(p => string.Equals(p.Name, c, StringComparison.OrdinalIgnoreCase)))
                    .Select(p => p.Value.ValueKind switch
                    {
                        JsonValueKind.Undefined or JsonValueKind.Null => null,
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Number => p.Value.GetRawText(),
                        _ => throw new LabelledFileException(line, $"'{p.Name}' must be a string, a number or true/false."),
                    })
                    .ToArray();
                examples.Add(shape.Example(i => values[i], line));
            }
        }

        return new LabelledSet(shape?.Tiers ?? knownTiers, examples, "");
    }

    /// <summary>Which columns hold the prompt and the labels, found from the header (or the first JSON object).</summary>
    private sealed class Shape
    {
        private readonly int _prompt;
        private readonly int? _tier;
        private readonly int[][] _tierColumns = [];
        private readonly IReadOnlyList<string> _header;

        private Shape(IReadOnlyList<string> header, int prompt, int? tier, IReadOnlyList<string> tiers, int[][] tierColumns)
        {
            _header = header;
            _prompt = prompt;
            _tier = tier;
            Tiers = tiers;
            _tierColumns = tierColumns;
        }

        public IReadOnlyList<string> Tiers { get; }

        public IReadOnlyList<string> Columns => _header;

        public static Shape Of(IReadOnlyList<string> header, IReadOnlyList<string> knownTiers, TierModels? models, int line = 1)
        {
            int Find(string name)
            {
                for (var i = 0; i < header.Count; i++)
                {
                    if (string.Equals(header[i]?.Trim(), name, StringComparison.OrdinalIgnoreCase))
                    {
                        return i;
                    }
                }

                return -1;
            }

            var prompt = PromptColumns.Select(Find).FirstOrDefault(i => i >= 0, -1);
            if (prompt < 0)
            {
                throw new LabelledFileException(line, $"there is no prompt column; name one '{PromptColumns[0]}' (columns: {string.Join(", ", header)}).");
            }

            if (models is null)
            {
                var tier = Find("tier");
                if (tier < 0)
                {
                    throw new LabelledFileException(line, "there is no 'tier' column; give the cheapest acceptable tier per prompt, or one True/False column per model with a mapping of models to tiers (e.g. small=modelA,large=modelB).");
                }

                return new Shape(header, prompt, tier, knownTiers, []);
            }

            var columns = new int[models.Tiers.Count][];
            for (var t = 0; t < models.Tiers.Count; t++)
            {
                var (tierName, names) = models.Tiers[t];
                columns[t] = new int[names.Count];
                for (var m = 0; m < names.Count; m++)
                {
                    var index = Find(names[m]);
                    if (index < 0)
                    {
                        throw new LabelledFileException(line, $"unknown model column '{names[m]}' (mapped to tier {tierName}); the file's columns are {string.Join(", ", header)}.");
                    }

                    columns[t][m] = index;
                }
            }

            return new Shape(header, prompt, null, [.. models.Tiers.Select(t => t.Tier)], columns);
        }

        public LabelledPrompt Example(Func<int, string?> field, int line)
        {
            var prompt = field(_prompt)?.Trim();
            if (string.IsNullOrEmpty(prompt))
            {
                throw new LabelledFileException(line, "the prompt is empty.");
            }

            if (prompt.Length > MaxPromptCharacters)
            {
                throw new LabelledFileException(line, $"the prompt has {prompt.Length:N0} characters; at most {MaxPromptCharacters:N0} are read.");
            }

            if (_tier is { } tierColumn)
            {
                var tier = field(tierColumn)?.Trim() ?? "";
                var index = -1;
                for (var i = 0; i < Tiers.Count; i++)
                {
                    if (string.Equals(Tiers[i], tier, StringComparison.OrdinalIgnoreCase))
                    {
                        index = i;
                    }
                }

                return index < 0
                    ? throw new LabelledFileException(line, $"tier '{tier}' does not exist; use one of {string.Join(", ", Tiers)}.")
                    : LabelledSet.FromCheapestTier(prompt, index, Tiers.Count, line);
            }

            var quality = new double?[_tierColumns.Length];
            var any = false;
            for (var t = 0; t < _tierColumns.Length; t++)
            {
                double sum = 0;
                var count = 0;
                foreach (var column in _tierColumns[t])
                {
                    if (Score(field(column), line, _header[column]) is { } score)
                    {
                        sum += score;
                        count++;
                    }
                }

                quality[t] = count == 0 ? null : sum / count;
                any |= count > 0;
            }

            return any ? new LabelledPrompt(prompt, quality, line) : throw new LabelledFileException(line, "no model column has a score; give True/False or 0–1 for at least one mapped model.");
        }

        private static double? Score(string? value, int line, string column)
        {
            var text = value?.Trim() ?? "";
            if (text.Length == 0)
            {
                return null;
            }

            if (bool.TryParse(text, out var flag))
            {
                return flag ? 1 : 0;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && score is >= 0 and <= 1)
            {
                return score;
            }

            throw new LabelledFileException(line, $"model column '{column}' has '{(text.Length > 20 ? text[..20] + "…" : text)}'; use True/False or a score from 0 to 1.");
        }
    }
}
