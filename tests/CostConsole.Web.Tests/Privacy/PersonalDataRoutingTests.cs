using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Privacy;

/// <summary>
/// The seeded catalogue with the simulator approved for personal data, and the large tier's model served by a second
/// provider, "offsite", that is not.
/// </summary>
public sealed class OffsiteFactory() : CostConsoleFactory(Settings())
{
    // Configured lists replace the defaults whole, so both providers and all three models are given in full.
    private static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
            ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
            ["CostConsole:Catalogue:Providers:0:MayReceivePersonalData"] = "true",
            ["CostConsole:Catalogue:Providers:1:Name"] = "offsite",
            ["CostConsole:Catalogue:Providers:1:BaseUrl"] = "/sim/v1",
        };
        var models = new[] { ("gpt-4.1-nano", "simulator", "small", "0.10", "0.40"), ("gpt-4.1-mini", "simulator", "medium", "0.40", "1.60"), ("gpt-4.1", "offsite", "large", "2.00", "8.00") };
        for (var i = 0; i < models.Length; i++)
        {
            var (id, provider, tier, input, output) = models[i];
            settings[$"CostConsole:Catalogue:Models:{i}:Id"] = id;
            settings[$"CostConsole:Catalogue:Models:{i}:Provider"] = provider;
            settings[$"CostConsole:Catalogue:Models:{i}:Tier"] = tier;
            settings[$"CostConsole:Catalogue:Models:{i}:InputPerMillion"] = input;
            settings[$"CostConsole:Catalogue:Models:{i}:OutputPerMillion"] = output;
        }

        return settings;
    }
}

public sealed class PersonalDataRoutingTests(OffsiteFactory factory) : IClassFixture<OffsiteFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private static RuleDefinition PersonalDataTo(string tier) =>
        new() { Name = "personal-data", Conditions = [new PersonalDataCondition([])], Action = RuleAction.ToTier(tier) };

    private static object Chat(string model, string text) => new { model, messages = new[] { new { role = "user", content = text } } };

    private async Task<RuleSetResult> SaveDraftAsync(Func<RuleSetDefinition, RuleSetDefinition> change)
    {
        var rules = factory.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", Cancel);
        return await rules.SaveDraftAsync(change(draft.Definition), draft.ConcurrencyStamp, "test", Cancel);
    }

    [Fact]
    public async Task A_rule_set_that_would_send_personal_data_offsite_is_refused_with_the_reason()
    {
        var result = await SaveDraftAsync(d => d with { Rules = [PersonalDataTo("large"), .. d.Rules] });

        Assert.False(result.Done);
        Assert.Contains(
            "Rule #1 'personal-data' sends personal data to offsite/gpt-4.1, whose provider 'offsite' is not marked \"may receive personal data\"",
            result.Summary,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Personal_data_is_routed_to_the_approved_provider_and_refused_with_a_400_where_only_offsite_models_remain()
    {
        var saved = await SaveDraftAsync(d => d with { Rules = [PersonalDataTo("small"), .. d.Rules] });
        Assert.True(saved.Done, saved.Summary);
        var published = await factory.Services.GetRequiredService<RuleSetService>().PublishAsync(saved.Version!.ConcurrencyStamp, "personal data stays on the simulator", "test", Cancel);
        Assert.True(published.Done, published.Summary);
        using var client = factory.CreateApiClient();

        using var routed = await client.PostAsJsonAsync("/v1/chat/completions", Chat("auto", "Analyze step by step why jane@example.com churned and plan a retention offer."), Cancel);
        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal("small", routed.Headers.GetValues("x-costconsole-tier").Single());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == routed.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal(("personal-data", "simulator/gpt-4.1-nano", "email 1"), (row.Rule, row.Model, row.PersonalData));

        using var refused = await client.PostAsJsonAsync("/v1/chat/completions", Chat("large", "Card 4111 1111 1111 1111 was declined, why?"), Cancel);
        var refusal = await refused.Content.ReadAsStringAsync(Cancel);
        using var error = JsonDocument.Parse(refusal);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var body = error.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", body.GetProperty("type").GetString());
        Assert.Equal("personal_data_not_allowed", body.GetProperty("code").GetString());
        Assert.Equal("messages", body.GetProperty("param").GetString());
        Assert.StartsWith("This request contains personal data (card 1), and the route chosen for it (tier large pinned by the request) has no model whose provider may receive personal data.", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("4111", refusal, StringComparison.Ordinal);

        using var plain = await client.PostAsJsonAsync("/v1/chat/completions", Chat("large", "Why was my card declined?"), Cancel);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
    }
}
