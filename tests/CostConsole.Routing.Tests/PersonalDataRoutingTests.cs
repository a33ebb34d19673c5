using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class PersonalDataRoutingTests
{
    private static readonly PersonalDataCondition AnyPersonalData = new([]);

    private static readonly RuleDefinition ToLocalModel = new() { Name = "personal-data", Conditions = [AnyPersonalData], Action = RuleAction.ToModel("llama") };

    /// <summary>The test catalogue plus a self-hosted model whose provider may receive personal data.</summary>
    private static RoutingConfig WithLocalModel(IReadOnlyList<RuleDefinition> rules, bool backupApproved = false)
    {
        var config = Config(rules);
        return config with
        {
            Providers =
            [
                .. config.Providers.Select(p => p.Name == "backup" ? p with { MayReceivePersonalData = backupApproved } : p),
                new ProviderEndpoint("ollama", "http://127.0.0.1:11434/v1", null, TimeSpan.FromSeconds(30)) { MayReceivePersonalData = true },
            ],
            Models = [.. config.Models, new CatalogueModel("llama", "ollama", "Llama", "small", 32_000, ModelCapabilities.None)],
        };
    }

    private static RoutingSnapshot Compile(RoutingConfig config) => SnapshotCompiler.Compile(config, PriceStart.AddDays(1));

    private static string Refusal(RoutingConfig config) =>
        string.Join("\n", Assert.Throws<RoutingConfigException>(() => Compile(config)).Errors);

    [Fact]
    public void A_prompt_with_personal_data_goes_to_the_approved_local_model_and_others_take_the_default_route()
    {
        var snapshot = Compile(WithLocalModel([ToLocalModel]));

        var personal = Decide(snapshot, Request("Refund to jane@example.com please"));
        Assert.Equal("personal-data", personal.Rule);
        Assert.Equal(["ollama/llama"], personal.Candidates.Select(c => c.Key));
        Assert.Equal("medium", Decide(snapshot, Request("Where is my parcel?")).Tier);
    }

    [Fact]
    public void A_condition_on_chosen_kinds_matches_only_those_kinds()
    {
        var cards = new RuleDefinition { Name = "cards", Conditions = [new PersonalDataCondition(["card"])], Action = RuleAction.ToTier("small") };
        var config = WithLocalModel([cards, ToLocalModel]);
        var snapshot = Compile(config with { Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["llama"], ["medium"] = ["mini"], ["large"] = ["big", "big-backup"] }) });

        Assert.Equal("cards", Decide(snapshot, Request("card 4111 1111 1111 1111")).Rule);
        Assert.Equal("personal-data", Decide(snapshot, Request("mail jane@example.com")).Rule);
        Assert.Equal("contains personal data (card) → small", RuleText.Summarize(cards));
    }

    [Fact]
    public void Publishing_a_rule_that_sends_personal_data_to_an_unapproved_provider_is_refused_with_the_reason()
    {
        var toLarge = new RuleDefinition { Name = "pii-to-large", Conditions = [AnyPersonalData], Action = RuleAction.ToTier("large") };

        var refusal = Refusal(WithLocalModel([toLarge]));

        Assert.Contains("Rule #1 'pii-to-large' sends personal data to sim/big, whose provider 'sim' is not marked \"may receive personal data\"", refusal, StringComparison.Ordinal);
        Assert.Contains("sends personal data to backup/big-backup", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_catch_all_personal_data_rule_the_default_route_must_be_approved_too()
    {
        var cardsOnly = new RuleDefinition { Name = "cards", Conditions = [new PersonalDataCondition(["card"])], Action = RuleAction.ToModel("llama") };

        var refusal = Refusal(WithLocalModel([cardsOnly]));

        Assert.Contains("Requests with personal data that no personal-data rule catches take the default route (tier 'medium'), which can send them to providers not marked \"may receive personal data\": sim/mini (sim)", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_set_without_personal_data_rules_routes_as_before()
    {
        var snapshot = Snapshot(Rule("refunds", "large", new KeywordCondition(KeywordMatch.Any, ["refund"])));

        var decision = Decide(snapshot, Request("Refund card 4111 1111 1111 1111"));

        Assert.Equal(["sim/big", "backup/big-backup"], decision.Candidates.Select(c => c.Key));
    }

    [Fact]
    public void A_request_with_personal_data_whose_route_has_no_approved_model_is_refused_with_a_clear_reason()
    {
        var refunds = Rule("refunds", "medium", new KeywordCondition(KeywordMatch.Any, ["refund"]));
        var snapshot = Compile(WithLocalModel([refunds, ToLocalModel]));

        var refused = Assert.Throws<ChatRequestException>(() => Decide(snapshot, Request("Refund to jane@example.com please")));
        Assert.Equal("personal_data_not_allowed", refused.Code);
        Assert.StartsWith("This request contains personal data (email 1), and the route chosen for it (rule #1 'refunds' matched", refused.Message, StringComparison.Ordinal);
        Assert.Equal("messages", refused.Param);

        var pinned = Assert.Throws<ChatRequestException>(() => Decide(snapshot, Request("call +44 20 7946 0958", model: "mini")));
        Assert.Equal("personal_data_not_allowed", pinned.Code);
        Assert.Equal("medium", Decide(snapshot, Request("Refund my order please")).Tier);
    }

    [Fact]
    public void Only_the_approved_models_of_a_route_are_tried_for_personal_data()
    {
        var refunds = Rule("refunds", "large", new KeywordCondition(KeywordMatch.Any, ["refund"]));
        var snapshot = Compile(WithLocalModel([refunds, ToLocalModel], backupApproved: true));

        var decision = Decide(snapshot, Request("Refund to jane@example.com please"));

        Assert.Equal(["backup/big-backup"], decision.Candidates.Select(c => c.Key));
        Assert.Contains("personal data: only models of approved providers", decision.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_naming_an_unknown_kind_does_not_compile()
    {
        var rule = new RuleDefinition { Name = "passports", Conditions = [new PersonalDataCondition(["passport"])], Action = RuleAction.ToModel("llama") };

        Assert.Contains("Rule #1 'passports': 'passport' is not a kind of personal data; use any of email, phone, card, iban, ip", Refusal(WithLocalModel([rule, ToLocalModel])), StringComparison.Ordinal);
    }
}

public sealed class PersonalDataReplayTests
{
    [Fact]
    public async Task A_redacted_prompt_replayed_from_the_ledger_decides_as_it_did_live()
    {
        var rule = new RuleDefinition { Name = "cards", Conditions = [new PersonalDataCondition(["card"])], Action = RuleAction.ToTier("large") };
        var config = Config([rule]);
        var snapshot = SnapshotCompiler.Compile(config with { Providers = [.. config.Providers.Select(p => p with { MayReceivePersonalData = true })] }, PriceStart.AddDays(1));
        using var live = Request("My card 4111 1111 1111 1111 was declined");
        var stored = Privacy.StoredPrompt.Of(live, Privacy.PromptStorage.Redacted);
        Assert.Equal("large", (await snapshot.DecideAsync(live, TestContext.Current.CancellationToken)).Tier);

        var input = RoutingInput.FromJson(stored.RoutingInput)!;
        Assert.Equal("My card [CARD] was declined", input.LastUserText);

        Assert.Equal("cards", Decide(snapshot, input.ToRequest(Tokens.O200kTokenCounter.Instance)).Rule);
        Assert.Equal("medium", Decide(snapshot, Request("A customer typed [CARD] literally")).Tier);
    }
}
