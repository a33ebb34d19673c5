using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Keys;
using CostConsole.Data.Metrics;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Keys;

/// <summary>What a key reaches follows its scopes: a team's app key cannot read the organisation's spend.</summary>
public sealed class KeyScopeTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static object Body(string model = "auto") => new { model, messages = new[] { new { role = "user", content = "Where is my order?" } } };

    private KeyService Service => factory.Services.GetRequiredService<KeyService>();

    private async Task<CreatedKey> CreateAsync(KeyForm form)
    {
        var (result, key) = await Service.CreateAsync(form, "alice", TestContext.Current.CancellationToken);
        Assert.True(result.Saved, result.Summary);
        return key!;
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return error.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    /// <summary>The sum of the export's requests column.</summary>
    private static async Task<long> ExportedRequestsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/metrics/export.csv?range=24h", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        return lines.Skip(1).Sum(l => long.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_new_key_is_an_inference_key_that_calls_v1_but_is_refused_spend_exports_and_the_live_stream()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateAsync(new KeyForm { Name = "crm-app", Team = "support" });
        using var client = factory.CreateApiClient(key.Secret);

        using var chat = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
        using var explain = await client.PostAsJsonAsync("/api/route/explain", Body(), ct);
        using var metrics = await client.GetAsync("/api/metrics/export.csv?range=24h", ct);
        using var catalogue = await client.GetAsync("/api/catalogue/export.csv", ct);
        using var hub = await client.PostAsync("/hubs/metrics/negotiate?negotiateVersion=1", null, ct);
        using var experiment = await client.GetAsync("/experiments/1/export.csv", ct);

        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal(HttpStatusCode.OK, explain.StatusCode);
        foreach (var refused in new[] { metrics, catalogue, hub, experiment })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("insufficient_scope", await ErrorCodeAsync(refused));
        }

        Assert.Equal(KeyScopes.Inference, (await Service.ListAsync(false, ct)).Single(k => k.Id == key.Id).Scopes);
    }

    [Fact]
    public async Task A_reporting_key_reads_its_own_teams_spend_and_only_an_organisation_wide_key_reads_every_team()
    {
        var ct = TestContext.Current.CancellationToken;
        var billingApp = await CreateAsync(new KeyForm { Name = "billing-app", Team = "billing" });
        var salesApp = await CreateAsync(new KeyForm { Name = "sales-app", Team = "sales" });
        var billingReport = await CreateAsync(new KeyForm { Name = "billing-report", Team = "billing", Inference = false, Reporting = true });
        var finance = await CreateAsync(new KeyForm { Name = "finance-report", Team = "finance", Inference = false, Reporting = true, OrganisationWide = true });
        using var billingClient = factory.CreateApiClient(billingApp.Secret);
        using var salesClient = factory.CreateApiClient(salesApp.Secret);
        using var billingReader = factory.CreateApiClient(billingReport.Secret);
        using var financeReader = factory.CreateApiClient(finance.Secret);
        (await billingClient.PostAsJsonAsync("/v1/chat/completions", Body(), ct)).EnsureSuccessStatusCode();
        for (var i = 0; i < 3; i++)
        {
            (await salesClient.PostAsJsonAsync("/v1/chat/completions", Body(), ct)).EnsureSuccessStatusCode();
        }

        await factory.Services.GetRequiredService<RollupStore>().FlushAsync();

        Assert.Equal(1, await ExportedRequestsAsync(billingReader));
        Assert.Equal((await factory.LedgerAsync()).Count, await ExportedRequestsAsync(financeReader));
        Assert.True(await ExportedRequestsAsync(financeReader) >= 4);

        // Naming another team's key is refused, not answered with that key's spend.
        using var otherTeam = await billingReader.GetAsync($"/api/metrics/export.csv?range=24h&key={salesApp.Id}", ct);
        Assert.Equal(HttpStatusCode.BadRequest, otherTeam.StatusCode);

        // A reporting-only key calls no model, and the refusal is in the ledger like every other.
        using var chat = await billingReader.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
        Assert.Equal("insufficient_scope", await ErrorCodeAsync(chat));
        Assert.Contains(await factory.LedgerAsync(), r => r.ApiKeyId == billingReport.Id);

        // The live stream is the whole organisation's: the team reader is refused, the organisation-wide one is not.
        using var teamHub = await billingReader.PostAsync("/hubs/metrics/negotiate?negotiateVersion=1", null, ct);
        using var financeHub = await financeReader.PostAsync("/hubs/metrics/negotiate?negotiateVersion=1", null, ct);
        Assert.Equal(HttpStatusCode.Forbidden, teamHub.StatusCode);
        Assert.Equal(HttpStatusCode.OK, financeHub.StatusCode);
    }

    [Fact]
    public async Task An_admin_grants_reporting_on_the_keys_form_the_next_request_obeys_and_the_audit_log_has_before_and_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateAsync(new KeyForm { Name = "ops-dashboard", Team = "ops" });
        using var client = factory.CreateApiClient(key.Secret);
        using (var before = await client.GetAsync("/api/metrics/export.csv?range=24h", ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        var granted = await Service.UpdateAsync(key.Id, new KeyForm { Name = "ops-dashboard", Team = "ops", Inference = true, Reporting = true }, "alice", cancellationToken: ct);
        Assert.True(granted.Saved, granted.Summary);

        using (var after = await client.GetAsync("/api/metrics/export.csv?range=24h", ct))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        Assert.Equal(KeyScopes.Inference | KeyScopes.Reporting, (await Service.ListAsync(false, ct)).Single(k => k.Id == key.Id).Scopes);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct);
        var audit = await db.AuditLog.SingleAsync(a => a.Action == "api-key.update" && a.Subject.StartsWith("ops-dashboard"), ct);
        Assert.Contains("scopes inference → ", audit.Details, StringComparison.Ordinal);
        Assert.EndsWith("scopes inference, reporting (own team)", audit.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_any_scope_or_with_organisation_wide_reading_but_no_reporting_is_refused_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;

        var (none, _) = await Service.CreateAsync(new KeyForm { Name = "nothing", Team = "ops", Inference = false }, "alice", ct);
        var (wide, _) = await Service.CreateAsync(new KeyForm { Name = "wide", Team = "ops", OrganisationWide = true }, "alice", ct);

        Assert.Contains("at least one scope", none.Summary, StringComparison.Ordinal);
        Assert.Contains("Organisation-wide reading needs the reporting scope", wide.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_development_key_keeps_every_scope_even_in_a_data_folder_from_before_scopes()
    {
        var ct = TestContext.Current.CancellationToken;
        var dbFactory = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        var hash = ApiKeySecrets.Hash(CostConsoleFactory.ApiKey);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            Assert.Equal(KeyScopes.All, KeyScopeNames.Parse((await db.ApiKeys.SingleAsync(k => k.Hash == hash, ct)).Scopes));

            // As the migration leaves a key that existed before scopes: inference only.
            await db.ApiKeys.Where(k => k.Hash == hash).ExecuteUpdateAsync(s => s.SetProperty(k => k.Scopes, KeyScopeNames.Inference), ct);
        }

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CostConsole.Data.Catalogue.CostConsoleOptions>>().Value;
            await CostConsole.Data.Catalogue.CatalogueSeeder.ApplyAsync(db, options, factory.Services.GetRequiredService<CostConsole.Data.Catalogue.ISecretProtector>(), DateTimeOffset.UtcNow, ct);
        }

        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            Assert.Equal(KeyScopes.All, KeyScopeNames.Parse((await db.ApiKeys.SingleAsync(k => k.Hash == hash, ct)).Scopes));
        }
    }

    [Fact]
    public async Task Errors_for_an_unknown_model_point_to_the_model_list_which_shows_only_what_the_key_may_use()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateAsync(new KeyForm { Name = "small-only", Team = "support", AllowedTiers = ["small"] });
        using var client = factory.CreateApiClient(key.Secret);
        var everyModel = factory.Services.GetRequiredService<CostConsole.Routing.Decisions.RoutingState>().Current.Models;

        using var chat = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-unknown"), ct);
        using var explain = await client.PostAsJsonAsync("/api/route/explain", Body("gpt-unknown"), ct);
        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", ct);

        foreach (var response in new[] { chat, explain })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var message = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error").GetProperty("message").GetString()!;
            Assert.Contains("GET /v1/models", message, StringComparison.Ordinal);
            Assert.DoesNotContain("medium", message, StringComparison.Ordinal);
            Assert.DoesNotContain("large", message, StringComparison.Ordinal);
            Assert.All(everyModel, m => Assert.DoesNotContain(m.Model.Id, message, StringComparison.Ordinal));
        }

        var listed = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
        var small = everyModel.Where(m => m.Tier == "small").ToList();
        Assert.NotEmpty(small);
        Assert.Equal(["auto", "small", .. small.Select(m => m.Model.Id)], listed);
    }
}
