using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;
using CsvHelper;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>The request explorer's CSV: every filtered request with its key, team, end user and conversation.</summary>
public sealed class RequestExportApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private async Task<string> SendAsync(string user, string conversation, string prompt)
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "auto", user, messages = new[] { new { role = "user", content = prompt } } }),
        };
        request.Headers.Add("x-costconsole-conversation", conversation);
        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private static List<Dictionary<string, string>> Read(string text)
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

    [Fact]
    public async Task Each_request_is_a_line_with_its_key_end_user_conversation_and_cost_and_text_cannot_run_as_a_formula()
    {
        var faq = await SendAsync("customer-7", "conv-export-1", "Where is my order?");
        var hostile = await SendAsync("=HYPERLINK(\"http://x\")", "@conv-export-2", "What are your opening hours?");
        using var console = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var response = await console.GetAsync("/api/requests/export.csv?range=24h&sort=time&order=asc", Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("time_utc,request_id,status,http_status,key_id,key,team,end_user,conversation_id,", text, StringComparison.Ordinal);
        var rows = Read(text);
        var line = rows.Single(r => r["request_id"] == faq);
        var ledger = (await factory.LedgerAsync()).Single(r => r.RequestId == faq);
        Assert.Equal(("answered", "development", "customer-7", "conv-export-1"), (line["status"], line["key"], line["end_user"], line["conversation_id"]));
        Assert.Equal(CostConsole.Data.Money.FromNanoUsd(ledger.CostNanoUsd), decimal.Parse(line["cost_usd"], CultureInfo.InvariantCulture));
        var guarded = rows.Single(r => r["request_id"] == hostile);
        Assert.Equal(("'=HYPERLINK(\"http://x\")", "'@conv-export-2"), (guarded["end_user"], guarded["conversation_id"]));
        Assert.True(rows.IndexOf(line) < rows.IndexOf(guarded), "Oldest first was asked for.");
    }

    [Fact]
    public async Task The_filters_narrow_the_file_and_a_bad_filter_is_refused_with_the_names_to_use()
    {
        await SendAsync("customer-8", "conv-export-3", "Where is my order?");
        using var console = await factory.CreateConsoleClientAsync(Roles.Admin);

        var failed = Read(await console.GetStringAsync("/api/requests/export.csv?range=24h&status=failed", Cancel));
        var small = Read(await console.GetStringAsync("/api/requests/export.csv?range=7d&tier=small", Cancel));
        using var refused = await console.GetAsync("/api/requests/export.csv?range=24h&status=lost", Cancel);

        Assert.All(failed, r => Assert.Equal("failed", r["status"]));
        Assert.NotEmpty(small);
        Assert.All(small, r => Assert.Equal("small", r["tier"]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");
        Assert.Equal("Unknown status 'lost'. Use answered, failed or rejected.", error.GetProperty("message").GetString());
    }
}
