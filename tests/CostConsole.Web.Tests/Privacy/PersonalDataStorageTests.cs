using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Access;
using CostConsole.Web.Keys;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Privacy;

public sealed class PersonalDataStorageTests(PrivacyFactory factory) : IClassFixture<PrivacyFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private static object Chat(string text) => new { model = "auto", messages = new[] { new { role = "user", content = text } } };

    [Fact]
    public async Task Under_the_default_policy_an_e_mail_and_a_card_number_appear_nowhere_in_the_database_the_logs_or_the_export()
    {
        const string Email = "maria.lopez@example-shop.com";
        const string Card = "4539 1488 0343 6467";
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat($"Hi, I'm {Email}. My card {Card} was charged twice, please refund."), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Equal("email 1, card 1", row.PersonalData);
        Assert.True(row.PromptRedacted);
        Assert.Equal("user: Hi, I'm [EMAIL]. My card [CARD] was charged twice, please refund.", row.Prompt);
        Assert.Contains("[CARD]", row.RoutingInput, StringComparison.Ordinal);

        await factory.Services.GetRequiredService<CostConsole.Data.Metrics.RollupStore>().FlushAsync();
        using var console = await factory.CreateConsoleClientAsync(Roles.Admin);
        var export = await console.GetStringAsync("/api/metrics/export.csv?range=24h", Cancel);
        Assert.Contains("simulator/", export, StringComparison.Ordinal);

        var places = new Dictionary<string, string>
        {
            ["database tables"] = await AllTextAsync(),
            ["database files"] = RawDatabaseFiles(),
            ["logs"] = string.Join("\n", factory.LogLines),
            ["CSV export"] = export,
        };
        foreach (var (place, text) in places)
        {
            foreach (var value in new[] { Email, Card, Card.Replace(" ", "", StringComparison.Ordinal), "maria.lopez" })
            {
                Assert.False(text.Contains(value, StringComparison.Ordinal), $"'{value}' was found in the {place}.");
            }
        }

        Assert.Contains(requestId, places["database tables"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_reports_the_kinds_and_counts_of_personal_data_but_not_the_values()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/api/route/explain",
            Chat("Two addresses: a@example.com and b@example.org, customer CUST-004211, from 10.1.2.3"), Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        using var trace = JsonDocument.Parse(text);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var pii = trace.RootElement.GetProperty("pii");
        Assert.True(pii.GetProperty("found").GetBoolean());
        Assert.Equal(
            new Dictionary<string, int> { ["email"] = 2, ["ip"] = 1, ["customer-number"] = 1 },
            pii.GetProperty("kinds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()));
        Assert.DoesNotContain("example.com", text, StringComparison.Ordinal);
        Assert.DoesNotContain("004211", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_without_personal_data_is_stored_as_sent_and_not_marked_redacted()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("Where is my parcel? It was due on 2024-03-15 and cost $129.99."), Cancel);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Null(row.PersonalData);
        Assert.False(row.PromptRedacted);
        Assert.Equal("user: Where is my parcel? It was due on 2024-03-15 and cost $129.99.", row.Prompt);
    }

    [Theory]
    [InlineData("full", "user: Call me on +44 20 7946 0958 about CUST-778899", false)]
    [InlineData("redacted", "user: Call me on [PHONE] about [CUSTOMER-NUMBER]", true)]
    [InlineData("none", null, false)]
    public async Task A_keys_own_policy_decides_what_is_stored_of_its_prompts(string policy, string? stored, bool redacted)
    {
        var keys = factory.Services.GetRequiredService<KeyService>();
        var (result, key) = await keys.CreateAsync(new KeyForm { Name = "policy-" + policy, Team = "support", PromptStorage = policy }, "alice", Cancel);
        Assert.True(result.Saved, result.Summary);
        using var client = factory.CreateApiClient(key!.Secret);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("Call me on +44 20 7946 0958 about CUST-778899"), Cancel);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Equal("phone 1, customer-number 1", row.PersonalData);
        Assert.Equal(stored, row.Prompt);
        Assert.Equal(redacted, row.PromptRedacted);
        Assert.Equal(stored is not null, row.RoutingInput is not null);
        Assert.Equal(stored is not null, row.Answer is not null);
        Assert.Equal(policy, (await keys.ListAsync(false, Cancel)).Single(k => k.Id == key.Id).PromptStorage);
    }

    [Theory]
    [InlineData("quality", "default", "user: Call me on +44 20 7946 0958", "team: full")]
    [InlineData("legal", "default", null, "team: none")]
    [InlineData("legal", "redacted", "user: Call me on [PHONE]", "team: none")]
    public async Task A_key_without_its_own_policy_stores_as_its_team_says_and_its_own_policy_comes_first(string team, string policy, string? stored, string shown)
    {
        var keys = factory.Services.GetRequiredService<KeyService>();
        var (result, key) = await keys.CreateAsync(new KeyForm { Name = $"team-{team}-{policy}", Team = team, PromptStorage = policy }, "alice", Cancel);
        Assert.True(result.Saved, result.Summary);
        using var client = factory.CreateApiClient(key!.Secret);

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("Call me on +44 20 7946 0958"), Cancel);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        Assert.Equal(stored, (await factory.LedgerAsync()).Single(r => r.RequestId == requestId).Prompt);
        Assert.Equal(shown, keys.TeamPromptStorage(team));
    }

    [Fact]
    public async Task An_unknown_policy_on_a_key_is_refused_with_the_choices()
    {
        var (result, _) = await factory.Services.GetRequiredService<KeyService>()
            .CreateAsync(new KeyForm { Name = "bad-policy", Team = "support", PromptStorage = "encrypted" }, "alice", Cancel);

        Assert.False(result.Saved);
        Assert.Contains("Prompt storage is one of: default, none, redacted, full.", result.Summary, StringComparison.Ordinal);
    }

    /// <summary>Every text value of every table, one per line.</summary>
    private async Task<string> AllTextAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(factory.DataFolder, "costconsole.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Cancel);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            await using var reader = await list.ExecuteReaderAsync(Cancel);
            while (await reader.ReadAsync(Cancel))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync(Cancel);
            while (await reader.ReadAsync(Cancel))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.IsDBNull(i) ? "" : reader.GetValue(i) is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    /// <summary>The database file and its write-ahead log as bytes read as UTF-8, free pages included.</summary>
    private string RawDatabaseFiles()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(factory.DataFolder, "costconsole.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text.Append(reader.ReadToEnd());
        }

        return text.ToString();
    }
}
