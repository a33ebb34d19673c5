using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CostConsole.Web.Tests.Scale;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlLedgerTests(PostgresConsoleFactory factory) : IClassFixture<PostgresConsoleFactory>
{
    [Fact]
    public async Task Each_answer_arrives_only_after_its_ledger_row_is_committed_with_its_exact_cost()
    {
        using var client = factory.CreateApiClient();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrafficSender.Draft } } }, TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
            var id = response.Headers.GetValues("x-costconsole-request-id").Single();
            var cost = decimal.Parse(response.Headers.GetValues("x-costconsole-cost-usd").Single(), System.Globalization.CultureInfo.InvariantCulture);

            // Another connection, as another instance would read it: the row is there the moment the answer is.
            await using var connection = new NpgsqlConnection(factory.ConnectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new NpgsqlCommand("""SELECT "CostNanoUsd" FROM "RequestLog" WHERE "RequestId" = $1""", connection);
            command.Parameters.AddWithValue(id);
            var stored = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
            Assert.Equal(Money.ToNanoUsd(cost), Assert.IsType<long>(stored));
        }
    }

    [Fact]
    public async Task Concurrent_requests_are_committed_in_groups_and_the_dashboard_counts_every_one()
    {
        var batches = 0;
        factory.Services.GetRequiredService<LedgerWriter>().SubscribeCommits((_, _) => Interlocked.Increment(ref batches));
        var before = (await factory.LedgerAsync()).Count;
        using var client = factory.CreateApiClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 120).Select(async i =>
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = $"{TrafficSender.Faq} #{i}" } } });
            return response.StatusCode;
        }));

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        var ledger = await factory.LedgerAsync();
        Assert.Equal(before + 120, ledger.Count);
        Assert.InRange(batches, 1, 119);

        var history = factory.Services.GetRequiredService<MetricsHistory>();
        var view = await history.LoadAsync(MetricsRange.Create(RangeKind.Day, DateTimeOffset.UtcNow.AddMinutes(1)), MetricsFilter.None, TestContext.Current.CancellationToken);
        var today = ledger.Where(r => r.Timestamp >= view.Range.From).ToList();
        Assert.Equal(today.Count, view.Totals.Requests);
        Assert.Equal(today.Sum(r => r.CostNanoUsd), view.Totals.CostNanoUsd);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/requests")]
    [InlineData("/budgets")]
    [InlineData("/keys")]
    [InlineData("/settings")]
    [InlineData("/experiments")]
    public async Task Console_pages_that_read_the_ledger_render_on_postgresql(string path)
    {
        using var api = factory.CreateApiClient();
        using (var sent = await api.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrafficSender.Analysis } } }, TestContext.Current.CancellationToken))
        {
            sent.EnsureSuccessStatusCode();
        }

        using var console = await factory.CreateConsoleClientAsync();
        using var page = await console.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("An unhandled error", html, StringComparison.OrdinalIgnoreCase);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
        Assert.True(db.Database.IsNpgsql());
    }

    [Fact]
    public async Task The_request_explorer_finds_a_request_by_the_beginning_of_its_id()
    {
        var ids = await TrafficSender.SendMixAsync(factory, rounds: 1);
        var explorer = factory.Services.GetRequiredService<CostConsole.Web.Requests.RequestExplorer>();
        var wanted = ids[0];

        var page = await explorer.PageAsync(
            new CostConsole.Web.Requests.RequestQuery(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), Search: wanted[..12]),
            TestContext.Current.CancellationToken);

        Assert.Contains(page.Rows, r => r.RequestId == wanted);
        Assert.All(page.Rows, r => Assert.StartsWith(wanted[..12], r.RequestId, StringComparison.Ordinal));
    }
}
