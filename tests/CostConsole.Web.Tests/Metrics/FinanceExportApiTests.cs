using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Web.Access;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Metrics;

/// <summary><c>/api/export/focus</c> and <c>/api/export/chargeback</c> over HTTP: who may read them, and what they refuse.</summary>
public sealed class FinanceExportApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static object Body() => new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order?" } } };

    private static List<Dictionary<string, string>> Rows(string text)
    {
        using var csv = new CsvReader(new StringReader(text), CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
        {
            rows.Add(csv.HeaderRecord!.ToDictionary(h => h, h => csv.GetField(h)!));
        }

        return rows;
    }

    private static decimal Sum(IEnumerable<Dictionary<string, string>> rows, string column) =>
        rows.Sum(r => decimal.Parse(r[column], NumberStyles.Number, CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_finops_analyst_downloads_todays_focus_file_and_its_cost_equals_the_ledgers()
    {
        var ct = TestContext.Current.CancellationToken;
        await TrafficSender.SendMixAsync(factory, rounds: 2);
        using var client = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var response = await client.GetAsync($"/api/export/focus?from={Today}&to={Today}", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("costconsole-focus-", response.Content.Headers.ContentDisposition!.FileName, StringComparison.Ordinal);
        var rows = Rows(await response.Content.ReadAsStringAsync(ct));
        var ledger = (await factory.LedgerAsync()).Where(r => r.Timestamp.UtcDateTime.Date == DateTime.UtcNow.Date).ToList();
        Assert.NotEmpty(rows);
        Assert.Equal(ledger.Count, rows.Sum(r => int.Parse(r["x_Requests"], CultureInfo.InvariantCulture)));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), Sum(rows, "BilledCost"));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.BaselineCostNanoUsd)), Sum(rows, "x_BaselineCost"));
        Assert.Contains(rows, r => r["SkuId"] == "simulator/gpt-4.1-nano" && r["SkuPriceId"] != "");
    }

    [Theory]
    [InlineData("/api/export/focus", "Give 'from' and 'to' as dates")]
    [InlineData("/api/export/focus?from=2026-03-10&to=2026-03-01", "ends (2026-03-01) before it starts (2026-03-10)")]
    [InlineData("/api/export/focus?from=10/03/2026&to=2026-03-12", "'10/03/2026' is not a date")]
    [InlineData("/api/export/focus?from=2020-01-01&to=2026-01-01", "at most 366 days")]
    [InlineData("/api/export/chargeback?from=2026-03-01&to=2026-03-02&period=week", "Unknown period 'week'. Use day or month.")]
    public async Task A_bad_range_or_period_is_refused_with_the_reason(string address, string reason)
    {
        using var client = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var response = await client.GetAsync(address, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains(reason, error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_team_reporting_key_exports_its_own_teams_spend_and_an_inference_key_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var keys = factory.Services.GetRequiredService<KeyService>();
        var (_, opsApp) = await keys.CreateAsync(new KeyForm { Name = "ops-app", Team = "ops" }, "alice", ct);
        var (_, legalApp) = await keys.CreateAsync(new KeyForm { Name = "legal-app", Team = "legal" }, "alice", ct);
        var (_, opsReport) = await keys.CreateAsync(new KeyForm { Name = "ops-report", Team = "ops", Inference = false, Reporting = true }, "alice", ct);
        using var ops = factory.CreateApiClient(opsApp!.Secret);
        using var legal = factory.CreateApiClient(legalApp!.Secret);
        (await ops.PostAsJsonAsync("/v1/chat/completions", Body(), ct)).EnsureSuccessStatusCode();
        (await legal.PostAsJsonAsync("/v1/chat/completions", Body(), ct)).EnsureSuccessStatusCode();
        using var reader = factory.CreateApiClient(opsReport!.Secret);

        using var chargeback = await reader.GetAsync($"/api/export/chargeback?from={Today}&to={Today}&period=month", ct);
        using var refused = await ops.GetAsync($"/api/export/focus?from={Today}&to={Today}", ct);

        Assert.Equal(HttpStatusCode.OK, chargeback.StatusCode);
        var rows = Rows(await chargeback.Content.ReadAsStringAsync(ct));
        Assert.Equal(["ops"], rows.Select(r => r["team"]).Distinct());
        Assert.Contains(rows, r => r["key"] == "ops-app" && r["requests"] == "1");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}
