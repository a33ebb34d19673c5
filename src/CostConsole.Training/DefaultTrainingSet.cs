using System.Globalization;
using CsvHelper;

namespace CostConsole.Training;

/// <summary>
/// The labelled set the shipped router (<c>shipped-support@1</c>) is trained from: the permissively licensed files
/// of the public routing-train folder (CLINC150 CC BY 3.0, HWU64 CC BY 4.0, SGD CC BY-SA 4.0, MATH levels MIT,
/// MMLU-Pro outcomes Apache-2.0/MIT) mapped onto small / medium / large, plus prompts written here
/// (<see cref="WrittenExamples"/>). RouterBench (no licence) and AlpacaEval (NC) are never read here.
/// </summary>
public static class DefaultTrainingSet
{
    public static readonly IReadOnlyList<string> Tiers = ["small", "medium", "large"];

    private const int Small = 0;
    private const int Medium = 1;
    private const int Large = 2;
    private const double WrittenWeight = 4;

    // HWU64 intents that act on something or generate text; the rest are look-ups and small talk.
    private static readonly HashSet<string> HwuMedium = new(StringComparer.Ordinal)
    {
        "email_sendemail", "email_addcontact", "calendar_set", "calendar_remove", "lists_createoradd", "lists_remove",
        "takeaway_order", "transport_ticket", "transport_taxi", "social_post", "cooking_recipe",
        "recommendation_events", "recommendation_locations", "recommendation_movies", "general_explain",
    };

    private static readonly string[] SgdMediumPrefixes = ["Transfer", "Reserve", "Book", "Buy", "Add", "Schedule", "Make"];

    /// <param name="directory">The routing-train folder.</param>
    public static LabelledSet Load(string directory)
    {
        var examples = new List<LabelledPrompt>();

        foreach (var row in Rows(directory, "clinc150_intents.csv"))
        {
            var tier = row["suggested_tier"] switch
            {
                "small" => Small,
                "medium" or "large_or_human" => Medium,
                _ => -1,
            };
            Add(examples, row["text"], tier);
        }

        foreach (var row in Rows(directory, "hwu64_intents.csv"))
        {
            Add(examples, row["text"], HwuMedium.Contains(row["intent"]) ? Medium : Small);
        }

        // SGD is large; every third opening turn keeps it from outweighing the rest.
        var n = 0;
        foreach (var file in new[] { "sgd_user_turns.train.csv", "sgd_user_turns.dev_test.csv" })
        {
            foreach (var row in Rows(directory, file))
            {
                if (n++ % 3 == 0)
                {
                    var intent = row["intent"];
                    Add(examples, row["text"], SgdMediumPrefixes.Any(p => intent.StartsWith(p, StringComparison.Ordinal)) ? Medium : Small);
                }
            }
        }

        foreach (var row in Rows(directory, "math_test_levels.csv"))
        {
            Add(examples, row["problem"], row["level"] == "1" ? Medium : Large);
        }

        // MMLU-Pro exam questions: each tier's acceptability is a real model's correctness on it.
        foreach (var file in new[] { "mmlupro_nonmmlu_outcomes.part1.csv", "mmlupro_nonmmlu_outcomes.part2.csv" })
        {
            foreach (var row in Rows(directory, file))
            {
                double? Outcome(string model) => row.TryGetValue(model, out var v) && bool.TryParse(v, out var b) ? (b ? 1 : 0) : null;
                var quality = new[] { Outcome("Meta-Llama-3_1-8B-Instruct"), Outcome("Meta-Llama-3_1-70B-Instruct"), Outcome("gpt-4o_earlyrun") };
                if (quality.Any(q => q is not null))
                {
                    examples.Add(new LabelledPrompt(row["question"] + "\n" + row["options"], quality, 0));
                }
            }
        }

        // The written prompts are few beside the public files but closest to support traffic: each counts four times.
        foreach (var (prompt, tier) in WrittenExamples.All())
        {
            examples.Add(LabelledSet.FromCheapestTier(prompt, tier, Tiers.Count) with { Weight = WrittenWeight });
        }

        return new LabelledSet(Tiers, examples, "routing-train (CLINC150, HWU64, SGD, MATH, MMLU-Pro) + written examples");
    }

    private static void Add(List<LabelledPrompt> examples, string text, int tier)
    {
        if (tier >= 0 && !string.IsNullOrWhiteSpace(text))
        {
            examples.Add(LabelledSet.FromCheapestTier(text.Trim(), tier, Tiers.Count));
        }
    }

    private static IEnumerable<Dictionary<string, string>> Rows(string directory, string file)
    {
        using var reader = new StreamReader(Path.Combine(directory, file));
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var header = csv.HeaderRecord!;
        while (csv.Read())
        {
            var row = new Dictionary<string, string>(header.Length, StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                row[header[i]] = csv.GetField(i) ?? "";
            }

            yield return row;
        }
    }
}
