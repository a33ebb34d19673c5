using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;
using CostConsole.Web.Commands;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>Answer gates through /v1 against the simulator, and the evaluation of a policy on a labelled file through the API and the CLI.</summary>
public sealed class AnswerGateTests : IClassFixture<CostConsoleFactory>, IAsyncLifetime
{
    private const string Billing = "How much will 7 seats on the Team plan cost me per month? Please show the total.";

    // The simulator's answer to a prompt depends on how often it has seen it; this test's own prompt is always new to it,
    // whatever order the tests of the class run in.
    private const string SelfConsistencyBilling = "How much will 9 seats on the Team plan cost me per month? Please show the total.";

    // Hand-computed below: small right on rows 1 and 3, large right on rows 1, 2 and 4; the arithmetic gate flags rows 2 and 3.
    private const string Labelled =
        "prompt,small-model,large-model,small-model_response,large-model_response\n"
        + "\"How many seats are left?\",True,True,\"You have 4 seats left.\",\"4\"\n"
        + "\"What is the total for 3 seats at $12.50?\",False,True,\"3 × 12.50 = 36.50\",\"37.50\"\n"
        + "\"What is 2 + 2?\",True,False,\"2 + 2 = 5, I mean 4\",\"5\"\n"
        + "\"Is the plan annual? Answer yes or no.\",False,True,\"It depends.\",\"Yes\"\n";

    private readonly CostConsoleFactory _factory;
    private readonly double _slipRate;

    public AnswerGateTests(CostConsoleFactory factory)
    {
        _factory = factory;
        _slipRate = factory.Simulator.ArithmeticSlipRate;
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
    }

    private RuleSetDefinition? _published;

    public async ValueTask InitializeAsync() =>
        _published = (await _factory.Services.GetRequiredService<RuleSetService>().DraftAsync("test", TestContext.Current.CancellationToken)).Definition;

    public async ValueTask DisposeAsync()
    {
        // Every test leaves the rule set as it found it: rules and classifier too, not only the escalation policy.
        _factory.Simulator.ArithmeticSlipRate = _slipRate;
        await PublishAsync(_ => _published! with { Escalation = CostConsole.Data.Catalogue.DefaultRuleSet.DefaultEscalation() });
    }

    [Fact]
    public async Task A_small_answer_with_a_wrong_total_escalates_with_the_slip_named_and_both_calls_in_the_ledger()
    {
        _factory.Simulator.ArithmeticSlipRate = 1;
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy { MaxEscalations = 1, Tiers = [new TierGates { Tier = "small", Arithmetic = new ArithmeticGate() }] },
        });

        var (response, row) = await SendAsync(Billing);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, row.Escalations);
        var attempts = Attempts(row);
        Assert.Equal(["First", "Escalation"], attempts.Select(a => a.GetProperty("kind").GetString()));
        var arithmetic = attempts[0].GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("gate").GetString() == "arithmetic");
        Assert.False(arithmetic.GetProperty("passed").GetBoolean());
        Assert.Contains("(expected ", arithmetic.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(attempts.Sum(a => a.GetProperty("cost").GetDecimal())), row.CostNanoUsd);
        Assert.True(attempts[0].GetProperty("cost").GetDecimal() > 0);
    }

    [Fact]
    public async Task An_escalation_that_passed_a_higher_tier_is_served_as_a_training_label_with_its_gate_and_reason()
    {
        _factory.Simulator.ArithmeticSlipRate = 1;
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy { MaxEscalations = 1, Tiers = [new TierGates { Tier = "small", Arithmetic = new ArithmeticGate() }] },
        });
        var (_, row) = await SendAsync(Billing);
        using var client = _factory.CreateApiClient();

        var jsonl = await client.GetStringAsync($"/api/escalation/labels?since={Uri.EscapeDataString(row.Timestamp.ToString("O"))}", TestContext.Current.CancellationToken);

        var label = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("request_id").GetString() == row.RequestId);
        Assert.Equal(("small", "medium", "arithmetic"), (label.GetProperty("from_tier").GetString(), label.GetProperty("to_tier").GetString(), label.GetProperty("gate").GetString()));
        Assert.Contains("(expected ", label.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(Billing, label.GetProperty("prompt").GetString()?.Split(": ", 2)[1]);
    }

    [Fact]
    public async Task A_correct_total_passes_the_arithmetic_gate_without_an_extra_call()
    {
        _factory.Simulator.ArithmeticSlipRate = 0;
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy { MaxEscalations = 1, Tiers = [new TierGates { Tier = "small", Arithmetic = new ArithmeticGate() }] },
        });

        var (_, row) = await SendAsync(Billing);

        Assert.Equal(0, row.Escalations);
        var gate = Attempts(row).Single().GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("gate").GetString() == "arithmetic");
        Assert.Equal("1 calculation(s) recomputed, all consistent", gate.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Self_consistency_asks_the_small_model_again_and_the_extra_call_is_billed_to_the_request()
    {
        _factory.Simulator.ArithmeticSlipRate = 0;
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy
            {
                MaxEscalations = 1,
                Tiers =
                [
                    new TierGates
                    {
                        Tier = "small",
                        FinalAnswer = new FinalAnswerGate { Pattern = @"= \$(?<answer>[0-9.,]+)" },
                        SelfConsistency = new SelfConsistencyGate { Samples = 1, Temperature = 0.8 },
                    },
                ],
            },
        });

        var (_, row) = await SendAsync(SelfConsistencyBilling);

        var attempts = Attempts(row);
        var sample = attempts.Single(a => a.GetProperty("kind").GetString() == "Sample");
        Assert.Equal(attempts[0].GetProperty("model").GetString(), sample.GetProperty("model").GetString());
        Assert.True(sample.GetProperty("cost").GetDecimal() > 0);
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(attempts.Sum(a => a.GetProperty("cost").GetDecimal())), row.CostNanoUsd);
        Assert.True(CostConsole.Data.Money.FromNanoUsd(row.EscalationCostNanoUsd) >= sample.GetProperty("cost").GetDecimal());
        Assert.Contains(attempts[0].GetProperty("gates").EnumerateArray(), g => g.GetProperty("gate").GetString() == "self-consistency");
    }

    [Fact]
    public async Task Evaluating_a_labelled_file_through_the_api_gives_the_hand_computed_figures()
    {
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy { Tiers = [new TierGates { Tier = "small", Arithmetic = new ArithmeticGate(), EscalateOnTruncation = false }] },
        });
        using var client = _factory.CreateApiClient();

        var response = await client.PostAsync("/api/escalation/evaluate?tiers=small=small-model,large=large-model", new StringContent(Labelled, Encoding.UTF8, "text/csv"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal(4, root.GetProperty("rows").GetInt32());
        Assert.Equal(0.5, root.GetProperty("all_small").GetProperty("quality").GetDouble(), 9);
        Assert.Equal(0.75, root.GetProperty("all_large").GetProperty("quality").GetDouble(), 9);
        var policy = root.GetProperty("policy");

        // Rows 2 and 3 escalated: one of them was wrong (precision 1/2), of the two wrong answers one was caught (recall 1/2);
        // cascade = (1 + 1 + 0 + 0) / 4 = 0.5, the same as all-small, so PGR 0; random at 50 % = 0.625.
        Assert.Equal(0.5, policy.GetProperty("share_escalated").GetDouble(), 9);
        Assert.Equal(0.5, policy.GetProperty("precision").GetDouble(), 9);
        Assert.Equal(0.5, policy.GetProperty("recall").GetDouble(), 9);
        Assert.Equal(0.5, policy.GetProperty("cascade_quality").GetDouble(), 9);
        Assert.Equal(0.625, policy.GetProperty("random_quality").GetDouble(), 9);
        Assert.Equal(0, policy.GetProperty("pgr").GetDouble(), 9);
        var finalAnswer = root.GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("gate").GetString() == "final-answer");
        Assert.False(finalAnswer.GetProperty("in_policy").GetBoolean());

        // Off in the policy, shown as what it would do: row 4 asks yes/no and states none; rows 1 and 2 ask for a number and state one.
        Assert.Equal(0.25, finalAnswer.GetProperty("share_escalated").GetDouble(), 9);
    }

    [Fact]
    public async Task The_evaluation_shows_the_published_router_alone_and_with_the_answer_checks_behind_it()
    {
        await PublishAsync(p => p with
        {
            DefaultTier = "small",
            Classifier = new ClassifierDefinition { Kind = ClassifierKind.DefaultTier },
            Rules = [new RuleDefinition { Name = "seats", Conditions = [new KeywordCondition(KeywordMatch.Any, ["seats"])], Action = RuleAction.ToTier("large") }],
            Escalation = new EscalationPolicy { Tiers = [new TierGates { Tier = "small", Arithmetic = new ArithmeticGate(), EscalateOnTruncation = false }] },
        });
        using var client = _factory.CreateApiClient();

        var response = await client.PostAsync("/api/escalation/evaluate?tiers=small=small-model,large=large-model", new StringContent(Labelled, Encoding.UTF8, "text/csv"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var routing = json.RootElement.GetProperty("routing");

        // The rule sends the two seat questions to large (right on both); "2 + 2" and the yes/no question stay on small.
        var alone = routing.GetProperty("routing");
        Assert.Equal(0.5, alone.GetProperty("large_share").GetDouble(), 9);
        Assert.Equal(0.75, alone.GetProperty("quality").GetDouble(), 9);
        Assert.Equal(1.0, alone.GetProperty("pgr").GetDouble(), 9);

        // The arithmetic check then escalates "2 + 2 = 5" to large, which is wrong there: more large calls, lower quality.
        var cascade = routing.GetProperty("routing_and_cascade");
        Assert.Equal(0.75, cascade.GetProperty("large_share").GetDouble(), 9);
        Assert.Equal(0.5, cascade.GetProperty("quality").GetDouble(), 9);
        Assert.StartsWith("rule set v", routing.GetProperty("router").GetString(), StringComparison.Ordinal);
        Assert.Empty(routing.GetProperty("routing_curve").EnumerateArray());
    }

    [Theory]
    [InlineData("prompt,small-model,large-model,small-model_response\n\"Q\",True,maybe,\"A\"\n", "Line 2", "'maybe'")]
    [InlineData("prompt,small-model,small-model_response\n\"Q\",True,\"A\"\n", "Line 1", "unknown model column 'large-model'")]
    [InlineData("prompt,small-model,large-model\n\"Q\",True,False\n", "Line 1", "'small-model_response'")]
    [InlineData("prompt,small-model,large-model,small-model_response\n\"Q\",True,False,\"A\"\n\"Q2\",True\n", "Line 3", "fields")]
    [InlineData("{\"prompt\":\"Q\",\"small-model\":true,\"large-model\":false,\"small-model_response\":\"A\"}\n{not json\n", "Line 2", "not a JSON object")]
    public async Task A_malformed_file_is_refused_with_its_line_and_reason_and_changes_nothing(string file, string line, string reason)
    {
        var before = await RuleSetVersionsAsync();
        using var client = _factory.CreateApiClient();

        var response = await client.PostAsync("/api/escalation/evaluate?tiers=small=small-model,large=large-model&draft=true", new StringContent(file, Encoding.UTF8, "text/csv"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains(line, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.Equal(before, await RuleSetVersionsAsync());
    }

    [Fact]
    public async Task The_evaluation_api_needs_a_key_or_an_admin()
    {
        using var anonymous = _factory.CreateApiClient(key: null);
        using var finOps = await _factory.CreateConsoleClientAsync(CostConsole.Web.Access.Roles.FinOps);

        var noKey = await anonymous.PostAsync("/api/escalation/evaluate?tiers=small=a,large=b", new StringContent(Labelled), TestContext.Current.CancellationToken);
        var notAdmin = await finOps.PostAsync("/api/escalation/evaluate?tiers=small=a,large=b", new StringContent(Labelled), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
    }

    [Fact]
    public async Task The_cli_prints_the_evaluation_as_json_and_refuses_a_malformed_file_with_its_line()
    {
        var good = Path.Combine(Path.GetTempPath(), $"cc-labelled-{Guid.NewGuid():N}.csv");
        var bad = Path.Combine(Path.GetTempPath(), $"cc-labelled-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(good, Labelled, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(bad, "prompt,small-model,large-model,small-model_response\n\"Q\",2,True,\"A\"\n", TestContext.Current.CancellationToken);
        try
        {
            var output = new StringWriter();
            await EvaluateEscalationCommand.RunAsync(_factory.Services, new EvaluateEscalationOptions(good, "small=small-model,large=large-model", Draft: true), output);

            using var json = JsonDocument.Parse(output.ToString());
            Assert.Equal(4, json.RootElement.GetProperty("rows").GetInt32());
            Assert.Equal("small-model", json.RootElement.GetProperty("tiers").GetProperty("small_model").GetString());

            var refused = await Assert.ThrowsAsync<CommandException>(() =>
                EvaluateEscalationCommand.RunAsync(_factory.Services, new EvaluateEscalationOptions(bad, "small=small-model,large=large-model", Draft: false), new StringWriter()));
            Assert.Contains("Line 2: column 'small-model' holds '2'", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    private async Task<(HttpResponseMessage Response, RequestLogRow Row)> SendAsync(string prompt)
    {
        using var client = _factory.CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = prompt } } }, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        return (response, (await _factory.LedgerAsync()).Single(r => r.RequestId == id));
    }

    private static List<JsonElement> Attempts(RequestLogRow row) => [.. JsonDocument.Parse(row.AttemptsJson!).RootElement.EnumerateArray()];

    private async Task<string> RuleSetVersionsAsync()
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<CostConsole.Data.CostConsoleDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
        var versions = await db.RuleSets.AsNoTracking().OrderBy(r => r.Id).Select(r => new { r.Id, r.Status, r.ConcurrencyStamp }).ToListAsync(TestContext.Current.CancellationToken);
        return string.Join(";", versions.Select(v => $"{v.Id}:{v.Status}:{v.ConcurrencyStamp}"));
    }

    private async Task PublishAsync(Func<RuleSetDefinition, RuleSetDefinition> change)
    {
        var rules = _factory.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);
        var saved = await rules.SaveDraftAsync(change(draft.Definition), draft.ConcurrencyStamp, "test", TestContext.Current.CancellationToken);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "answer gate test", "test", TestContext.Current.CancellationToken);
        Assert.True(published.Done, published.Summary);
    }
}
