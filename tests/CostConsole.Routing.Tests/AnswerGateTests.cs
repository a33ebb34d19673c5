using System.Diagnostics;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class AnswerGateTests
{
    private const string Options = "Which plan fits a team of 12?\nA. Starter\nB. Team\nC. Business\nD. Enterprise";

    [Theory]
    [InlineData("Which is cheaper?\nA. Monthly\nB. Yearly\nC. Both", AnswerForm.OptionLetter, "ABC")]
    [InlineData("Pick one: (A) red (B) green (C) blue (D) black", AnswerForm.OptionLetter, "ABCD")]
    [InlineData("How many seats do I have left?", AnswerForm.Number, "")]
    [InlineData("What is the total of my last three invoices?", AnswerForm.Number, "")]
    [InlineData("Is my plan annual? Answer yes or no.", AnswerForm.YesNo, "")]
    [InlineData("Can you help me reset my password?", AnswerForm.None, "")]
    [InlineData("A. Smith called about plan B.", AnswerForm.None, "")]
    public void The_form_of_answer_is_read_from_the_question(string question, AnswerForm form, string letters)
    {
        var asked = FinalAnswer.Asked(question);

        Assert.Equal((form, letters), (asked.Form, asked.Letters));
    }

    [Theory]
    [InlineData("Twelve people fit the Team plan. The answer is (B).", "B")]
    [InlineData("Answer: C", "C")]
    [InlineData("so \\boxed{D}", "D")]
    [InlineData("The answer is (B). On reflection the answer is B.", "B")]
    [InlineData("The answer is (B). Actually, the answer is (C).", "B,C")]
    [InlineData("The answer is (F).", "")]
    [InlineData("A team of 12 fits the Team plan.", "")]
    public void Option_letters_are_extracted_only_from_stated_answers_among_the_listed_letters(string answer, string expected)
    {
        var found = FinalAnswer.Extract(answer, FinalAnswer.Asked(Options));

        Assert.Equal(expected, string.Join(',', found));
    }

    [Theory]
    [InlineData("You have 3 seats left, so the answer is 1,200.00 dollars. #### 1200", "1200")]
    [InlineData("3 × 400 = 1,200 so you pay $1,200.", "1200")]
    [InlineData("The answer is 12. The answer is 13.", "12,13")]
    [InlineData("You have no seats left.", "")]
    [InlineData("The answer is -4.50", "-4.5")]
    public void Numbers_are_extracted_normalised_and_the_last_number_stands_in_for_a_missing_marker(string answer, string expected)
    {
        var found = FinalAnswer.Extract(answer, new AnswerRequest(AnswerForm.Number, ""));

        Assert.Equal(expected, string.Join(',', found));
    }

    [Theory]
    [InlineData("Yes, it renews every year.", "yes")]
    [InlineData("No. It renews monthly; the answer is no.", "no")]
    [InlineData("Yes. Well, the answer is no.", "yes,no")]
    [InlineData("It renews monthly.", "")]
    public void Yes_or_no_is_read_from_the_first_word_and_stated_answers(string answer, string expected)
    {
        Assert.Equal(expected, string.Join(',', FinalAnswer.Extract(answer, new AnswerRequest(AnswerForm.YesNo, ""))));
    }

    [Fact]
    public void The_one_final_answer_gate_fails_on_none_and_on_two_that_differ_and_passes_on_one()
    {
        var gates = Compile(new TierGates { Tier = "small", FinalAnswer = new FinalAnswerGate() });

        Assert.True(Verdict(gates, "The answer is (B).", Options).Passed);
        var none = Verdict(gates, "It depends on your usage.", Options);
        Assert.Equal((false, "asked for one of A–D, the answer states none"), (none.Passed, none.Detail));
        var two = Verdict(gates, "The answer is (B), or the answer is (C).", Options);
        Assert.Equal((false, "asked for one of A–D, the answer states 2 different ones: B, C"), (two.Passed, two.Detail));
        Assert.True(Verdict(gates, "Sure, I can help.", "Can you reset my password?").Passed);
    }

    [Fact]
    public void An_admin_pattern_with_a_named_group_decides_the_final_answer_where_its_question_condition_holds()
    {
        var gates = Compile(new TierGates
        {
            Tier = "small",
            FinalAnswer = new FinalAnswerGate { Pattern = @"Ticket:\s*(?<answer>[A-Z]+-\d+)", QuestionPattern = "(?i)ticket" },
        });

        Assert.True(Verdict(gates, "Filed. Ticket: OPS-12", "Open a ticket for me").Passed);
        Assert.False(Verdict(gates, "Filed. Ticket: OPS-12, then Ticket: OPS-13", "Open a ticket for me").Passed);
        Assert.False(Verdict(gates, "Filed it.", "Open a ticket for me").Passed);
        Assert.True(Verdict(gates, "Filed it.", "Thanks!").Passed);
    }

    [Fact]
    public void A_final_answer_pattern_without_the_named_group_is_refused_at_compile_time()
    {
        var errors = CompileErrors(new TierGates { Tier = "small", FinalAnswer = new FinalAnswerGate { Pattern = @"Ticket: [A-Z]+-\d+" } });

        Assert.Contains(errors, e => e.Contains("(?<answer>", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 0.7)]
    [InlineData(5, 0.7)]
    [InlineData(1, 2.5)]
    public void Self_consistency_settings_out_of_range_are_refused(int samples, double temperature)
    {
        var errors = CompileErrors(new TierGates { Tier = "small", SelfConsistency = new SelfConsistencyGate { Samples = samples, Temperature = temperature } });

        Assert.Contains(errors, e => e.Contains("self-consistency", StringComparison.Ordinal));
    }

    [Fact]
    public void The_arithmetic_gate_names_the_slip_in_its_reason()
    {
        var gates = Compile(new TierGates { Tier = "small", Arithmetic = new ArithmeticGate() });

        var result = Verdict(gates, "Your refund: 3 × 12.50 = 36.50.", "How much is my refund?");

        Assert.Equal(("arithmetic", false, "3 × 12.50 = 36.50 (expected 37.50)"), (result.Gate, result.Passed, result.Detail));
    }

    [Fact]
    public async Task A_wrong_total_escalates_with_its_reason_recorded_on_the_attempt()
    {
        var invoker = new ScriptedInvoker((model, _, _) => model == "nano" ? "3 × $12.50 = $36.50 per month." : "3 × $12.50 = $37.50 per month.");
        var (pipeline, ledger) = Pipeline(invoker, new TierGates { Tier = "small", Arithmetic = new ArithmeticGate() });

        using var request = TestRouting.Request("What is the total for 3 seats?", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(("mini", 1), (outcome.Model!.Model.Id, outcome.Escalations));
        var failed = outcome.Attempts[0].Gates!.Single(g => !g.Passed);
        Assert.Equal("3 × $12.50 = 36.50 (expected 37.50)", failed.Detail);
        Assert.Equal(2, ledger.Entries.Single().Attempts.Count);
    }

    [Fact]
    public async Task Self_consistency_asks_the_same_model_again_bills_the_call_and_escalates_on_disagreement()
    {
        var invoker = new ScriptedInvoker((model, call, temperature) => (model, call) switch
        {
            ("nano", 0) => "The answer is (B).",
            ("nano", _) => temperature == 0.9 ? "The answer is (C)." : "wrong temperature",
            _ => "The answer is (B).",
        });
        var (pipeline, ledger) = Pipeline(invoker, new TierGates { Tier = "small", SelfConsistency = new SelfConsistencyGate { Samples = 1, Temperature = 0.9 } });

        using var request = TestRouting.Request(Options, "small", "\"stream\":false");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(["nano", "nano", "mini"], invoker.Calls);
        Assert.Equal([AttemptKind.First, AttemptKind.Sample, AttemptKind.Escalation], outcome.Attempts.Select(a => a.Kind));
        var gate = outcome.Attempts[0].Gates!.Single(g => g.Gate == "self-consistency");
        Assert.False(gate.Passed);
        Assert.StartsWith("2 answers disagree: B vs C", gate.Detail, StringComparison.Ordinal);
        Assert.True(outcome.Attempts[1].Cost > 0);
        Assert.Equal(outcome.Attempts.Sum(a => a.Cost), ledger.Entries.Single().Cost);
        Assert.Equal(outcome.Attempts[0].Cost + outcome.Attempts[1].Cost, ledger.Entries.Single().EscalationCost);
    }

    [Fact]
    public async Task Self_consistency_spends_nothing_when_the_request_asks_for_no_single_answer()
    {
        var invoker = new ScriptedInvoker((_, _, _) => "You can reset it from the sign-in page.");
        var (pipeline, _) = Pipeline(invoker, new TierGates { Tier = "small", SelfConsistency = new SelfConsistencyGate() });

        using var request = TestRouting.Request("Can you help me reset my password?", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(["nano"], invoker.Calls);
        Assert.True(outcome.Attempts[0].PassedGates);
    }

    private static GateResult Verdict(CompiledGates gates, string answer, string question) =>
        gates.Check(new AnswerFacts(answer, "stop", null), question, false, null, out _).Single(r => r.Gate is "final-answer" or "arithmetic");

    private static CompiledGates Compile(TierGates gates)
    {
        var config = TestRouting.Config([]);
        var snapshot = SnapshotCompiler.Compile(config with { RuleSet = config.RuleSet with { Escalation = new EscalationPolicy { Tiers = [gates] } } }, TestRouting.PriceStart.AddDays(1));
        return snapshot.Escalation.For(0)!;
    }

    private static IReadOnlyList<string> CompileErrors(TierGates gates)
    {
        var config = TestRouting.Config([]);
        var exception = Assert.ThrowsAny<Exception>(() => SnapshotCompiler.Compile(config with { RuleSet = config.RuleSet with { Escalation = new EscalationPolicy { Tiers = [gates] } } }, TestRouting.PriceStart.AddDays(1)));
        return [exception.Message];
    }

    private static CallerContext Caller() => new("req_gates", null, TestRouting.PriceStart.AddDays(1), Stopwatch.GetTimestamp(), false);

    private static (ChatPipeline Pipeline, ListLedger Ledger) Pipeline(IModelInvoker invoker, TierGates gates)
    {
        var config = TestRouting.Config([]);
        var state = new RoutingState();
        state.Publish(SnapshotCompiler.Compile(config with { RuleSet = config.RuleSet with { Escalation = new EscalationPolicy { Tiers = [gates] } } }, TestRouting.PriceStart.AddDays(1)));
        var ledger = new ListLedger();
        return (new ChatPipeline(state, invoker, ledger, O200kTokenCounter.Instance, null, new DeploymentResilience()), ledger);
    }

    private sealed class ListLedger : ILedger
    {
        public List<LedgerEntry> Entries { get; } = [];

        public ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            lock (Entries)
            {
                Entries.Add(entry);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Answers by model, call number of that model, and the temperature the request asked for.</summary>
    private sealed class ScriptedInvoker(Func<string, int, double?, string> answer) : IModelInvoker
    {
        private readonly Dictionary<string, int> _calls = [];

        public List<string> Calls { get; } = [];

        public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
        {
            Calls.Add(target.Model.Id);
            var call = _calls.GetValueOrDefault(target.Model.Id);
            _calls[target.Model.Id] = call + 1;
            double? temperature = request.Root.TryGetProperty("temperature", out var t) ? t.GetDouble() : null;
            var content = answer(target.Model.Id, call, temperature);
            var body = JsonSerializer.Serialize(new
            {
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 20, completion_tokens = 10 },
            });
            return Task.FromResult(new UpstreamReply { Status = 200, Body = BinaryData.FromString(body), Usage = new(20, 0, 10), FinishReason = "stop" });
        }

        public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
