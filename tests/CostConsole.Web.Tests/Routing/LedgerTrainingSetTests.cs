using System.Text.Json;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Tests.Routing;

public sealed class LedgerTrainingSetTests
{
    private static readonly string[] Tiers = ["small", "medium", "large"];
    private static readonly DateTimeOffset From = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static AttemptRecord Attempt(string tier, AttemptKind kind, params GateResult[] gates) =>
        new($"sim/{tier}", "sim", tier, 200, "ok", 10, 10, 0.001m, 5) { Kind = kind, Gates = gates.Length == 0 ? null : gates };

    private static LedgerTrainingRow Row(
        string id, string? tier = "small", string? prompt = "Where is my parcel?", IReadOnlyList<AttemptRecord>? attempts = null,
        bool? resolved = null, int? csat = null, int review = 0, bool redacted = false, double? propensity = null, string? routingInput = null) =>
        new(id, tier, prompt, routingInput, redacted, review, attempts is null ? null : JsonSerializer.Serialize(attempts, Json), resolved, csat, propensity);

    private static double?[] Quality(LedgerTrainingRow row) => LedgerTrainingSet.Label(row, Tiers).Quality;

    [Fact]
    public void Resolved_or_satisfied_feedback_makes_the_served_tier_and_those_above_acceptable_and_unresolved_makes_it_and_those_below_not()
    {
        Assert.Equal([1, 1, 1], Quality(Row("a", "small", resolved: true)));
        Assert.Equal([null, 1, 1], Quality(Row("b", "medium", csat: 5)));
        Assert.Equal([0, 0, null], Quality(Row("c", "medium", resolved: false)));
        Assert.Equal([0, null, null], Quality(Row("d", "small", csat: 1)));
        Assert.Equal([null, 0.5, 1], Quality(Row("e", "medium", csat: 3)));
    }

    [Fact]
    public void An_escalation_marks_the_tier_that_failed_its_gates_not_acceptable_and_the_one_that_passed_acceptable()
    {
        var attempts = new[]
        {
            Attempt("small", AttemptKind.First, new GateResult("confidence", false, "token probability 0.21 < 0.50")),
            Attempt("medium", AttemptKind.Escalation, new GateResult("confidence", true, "token probability 0.81 ≥ 0.50")),
        };

        var (quality, sources, _) = LedgerTrainingSet.Label(Row("x", "medium", attempts: attempts), Tiers);

        Assert.Equal([0, 1, 1], quality);
        Assert.Equal([LedgerLabelSources.Escalation], sources);
    }

    [Fact]
    public void A_judge_score_grades_the_tier_it_judged_and_a_review_says_every_tier_tried_fell_short()
    {
        var judged = new[] { Attempt("small", AttemptKind.First, new GateResult("judge", true, "nano scored 4/5 (minimum 3)")), Attempt("small", AttemptKind.Judge) };
        var reviewed = new[]
        {
            Attempt("medium", AttemptKind.First, new GateResult("json", false, "not JSON")),
            Attempt("large", AttemptKind.Escalation, new GateResult("json", false, "not JSON")),
        };

        var judge = LedgerTrainingSet.Label(Row("j", "small", attempts: judged), Tiers);
        var review = LedgerTrainingSet.Label(Row("r", "large", attempts: reviewed, review: 1), Tiers);

        Assert.Equal([0.75, 1, 1], judge.Quality);
        Assert.Equal([LedgerLabelSources.Judge], judge.Sources);
        Assert.Equal([0, 0, 0], review.Quality);
        Assert.Equal([LedgerLabelSources.Escalation, LedgerLabelSources.Review], review.Sources);
    }

    [Fact]
    public void A_person_s_feedback_wins_over_the_gates_about_the_same_tier()
    {
        var attempts = new[]
        {
            Attempt("small", AttemptKind.First, new GateResult("confidence", false, "low")),
            Attempt("medium", AttemptKind.Escalation, new GateResult("confidence", true, "fine")),
        };

        Assert.Equal([0, 0, null], Quality(Row("p", "medium", attempts: attempts, resolved: false)));
    }

    [Fact]
    public void The_set_counts_examples_per_source_and_tier_skips_rows_without_a_stored_prompt_uses_redacted_ones_and_weights_explored_ones()
    {
        var input = new RoutingInput("How do I reset my password?", 2, true, new Dictionary<string, string>(), [], 12).ToJson();
        var rows = new[]
        {
            Row("1", "small", resolved: true),
            Row("2", "small", prompt: "My card [CARD] was charged twice", resolved: false, redacted: true),
            Row("3", "small", prompt: null, resolved: true),
            Row("4", "large", prompt: "Plan the migration", csat: 5, propensity: 0.05),
            Row("5", "small", prompt: null, routingInput: input, csat: 4),
            Row("6", "tiny", resolved: true),
        };

        var (set, summary) = LedgerTrainingSet.Build(rows, Tiers, From, From.AddDays(7));

        Assert.Equal(4, summary.Examples);
        Assert.Equal(4, summary.PerSource[LedgerLabelSources.Feedback]);
        Assert.Equal(0, summary.PerSource[LedgerLabelSources.Escalation]);
        Assert.Equal(1, summary.Skipped[LedgerTrainingSet.SkippedNoPrompt]);
        Assert.Equal(1, summary.Skipped[LedgerTrainingSet.SkippedUnknownTier]);
        Assert.Equal((1, 1), (summary.Redacted, summary.Weighted));
        Assert.Equal(2, summary.PerTier["small"]);
        Assert.Equal("My card [CARD] was charged twice", set.Examples[1].Prompt);
        Assert.Equal(20, set.Examples[2].Weight, 9);
        Assert.Equal(("How do I reset my password?", 2, true), (set.Examples[3].Prompt, set.Examples[3].UserTurns, set.Examples[3].HasTools));
        Assert.Equal(Tiers, set.Tiers);
    }
}
