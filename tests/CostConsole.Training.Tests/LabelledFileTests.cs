using System.Text;

namespace CostConsole.Training.Tests;

public sealed class LabelledFileTests
{
    private static readonly string[] Tiers = ["small", "medium", "large"];

    private static LabelledSet Read(string text, string name, string? models = null) =>
        LabelledFile.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), name, Tiers, models is null ? null : TierModels.Parse(models, Tiers));

    [Fact]
    public void A_prompt_tier_csv_makes_every_tier_from_the_label_up_acceptable()
    {
        var set = Read("prompt,tier\nWhere is my order?,small\n\"Analyse churn, by cohort\",large\n", "labels.csv");

        Assert.Equal(Tiers, set.Tiers);
        Assert.Equal([1.0, 1.0, 1.0], set.Examples[0].Quality.Select(q => q!.Value));
        Assert.Equal([0.0, 0.0, 1.0], set.Examples[1].Quality.Select(q => q!.Value));
        Assert.Equal("Analyse churn, by cohort", set.Examples[1].Prompt);
    }

    [Fact]
    public void A_per_model_jsonl_averages_each_tiers_models_and_keeps_missing_scores_missing()
    {
        var set = Read(
            "{\"prompt\": \"2+2?\", \"modelA\": true, \"modelB\": 0.5, \"modelC\": true}\n\n{\"prompt\": \"prove it\", \"modelA\": false, \"modelB\": null, \"modelC\": \"True\"}\n",
            "outcomes.jsonl",
            "small=modelA+modelB,large=modelC");

        Assert.Equal(["small", "large"], set.Tiers);
        Assert.Equal(0.75, set.Examples[0].Quality[0]);
        Assert.Equal(0.0, set.Examples[1].Quality[0]);
        Assert.Equal(1.0, set.Examples[1].Quality[1]);
        Assert.Equal(3, set.Examples[1].Line);
    }

    [Fact]
    public void A_tier_that_does_not_exist_is_refused_with_its_line_counting_multi_line_prompts()
    {
        var error = Assert.Throws<LabelledFileException>(() => Read("prompt,tier\n\"two\nlines\",small\nhello,huge\n", "labels.csv"));

        Assert.Equal(4, error.Line);
        Assert.Contains("tier 'huge' does not exist", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Line 4:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_column_the_file_does_not_have_is_refused_naming_the_columns_it_has()
    {
        var error = Assert.Throws<LabelledFileException>(() => Read("prompt,modelA\nhi,True\n", "outcomes.csv", "small=modelA,large=modelZ"));

        Assert.Contains("unknown model column 'modelZ'", error.Message, StringComparison.Ordinal);
        Assert.Contains("prompt, modelA", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prompt,modelA,modelB\nhi,True,maybe\n", "line 2", "'maybe'")]
    [InlineData("prompt,modelA,modelB\nhi,True\n", "line 2", "2 fields, but the header has 3")]
    [InlineData("prompt,modelA,modelB\n,True,False\n", "line 2", "the prompt is empty")]
    [InlineData("text,label\nhi,x\n", "line 1", "no 'tier' column")]
    public void Malformed_rows_are_refused_with_the_line_and_the_reason(string csv, string line, string reason)
    {
        var error = Assert.Throws<LabelledFileException>(() => Read(csv, "f.csv", csv.Contains("modelA", StringComparison.Ordinal) ? "small=modelA,large=modelB" : null));

        Assert.Contains(line, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jsonl_line_that_is_not_json_is_refused_with_its_line()
    {
        var error = Assert.Throws<LabelledFileException>(() => Read("{\"prompt\":\"a\",\"tier\":\"small\"}\n{\"prompt\": oops}\n", "labels.jsonl"));

        Assert.Equal(2, error.Line);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tier_mapping_naming_an_unknown_tier_is_refused()
    {
        var error = Assert.Throws<LabelledFileException>(() => TierModels.Parse("tiny=modelA", Tiers));

        Assert.Contains("tier 'tiny', which does not exist", error.Message, StringComparison.Ordinal);
    }
}
