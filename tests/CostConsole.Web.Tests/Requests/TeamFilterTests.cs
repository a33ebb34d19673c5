using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Web.Access;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Requests;

/// <summary>
/// The explorer, its CSV and the dashboard count a team the same way: rows from before teams were recorded count for their
/// key's team now, and "No team" finds the requests whose key has none.
/// </summary>
public class TeamFilterTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private RequestExplorer Explorer => factory.Services.GetRequiredService<RequestExplorer>();

    private MetricsHistory History => factory.Services.GetRequiredService<MetricsHistory>();

    /// <summary>Half an hour three hours ago (each test its own half): no other traffic of this fixture falls in it.</summary>
    private static (DateTimeOffset From, DateTimeOffset To) HalfHour(int half)
    {
        var now = DateTimeOffset.UtcNow;
        var from = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-3).AddMinutes(30 * half);
        return (from, from.AddMinutes(30));
    }

    private async Task<(RequestLogRow PreTeam, RequestLogRow Recorded, RequestLogRow Moved, RequestLogRow Teamless, RequestLogRow Keyless)> SeedAsync(DateTimeOffset from, string team)
    {
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await dbs.CreateDbContextAsync(Cancel);
        var research = Key("research-bot", team);
        var teamless = Key("legacy-script", null);
        db.ApiKeys.AddRange(research, teamless);
        await db.SaveChangesAsync(Cancel);

        // Recorded before teams were: no team on the row, so it counts for the team its key has now.
        var preTeam = Row(research.Id, null, from.AddMinutes(5), 1.50m);
        var recorded = Row(research.Id, team, from.AddMinutes(10), 0.25m);

        // Recorded under another team before the key moved: it stays with that team.
        var moved = Row(research.Id, team + "-before", from.AddMinutes(15), 4.00m);
        var teamlessRow = Row(teamless.Id, null, from.AddMinutes(20), 0.75m);
        var keyless = Row(null, null, from.AddMinutes(25), 0.05m);
        db.RequestLog.AddRange(preTeam, recorded, moved, teamlessRow, keyless);
        await db.SaveChangesAsync(Cancel);
        await factory.Services.GetRequiredService<RollupStore>().RebuildAsync(DateTimeOffset.UnixEpoch, Cancel);
        return (preTeam, recorded, moved, teamlessRow, keyless);
    }

    [Fact]
    public async Task A_request_from_before_teams_were_recorded_is_found_by_its_keys_team_and_counted_as_the_dashboard_counts_it()
    {
        var (from, to) = HalfHour(0);
        var team = "research-" + Guid.NewGuid().ToString("N")[..6];
        var rows = await SeedAsync(from, team);

        var page = await Explorer.PageAsync(new RequestQuery(from, to, Team: team, Sort: RequestSort.Time, Descending: false), Cancel);
        var dashboard = await History.TotalsAsync(from, to, new MetricsFilter(Team: team), Cancel);

        Assert.Equal([rows.PreTeam.RequestId, rows.Recorded.RequestId], page.Rows.Select(r => r.RequestId));
        Assert.Equal(2, page.Total);
        Assert.Equal(dashboard.Requests, page.Total);
        Assert.Equal(dashboard.CostNanoUsd, page.Rows.Sum(r => r.CostNanoUsd));
        Assert.Equal(Money.ToNanoUsd(1.75m), dashboard.CostNanoUsd);

        // The CSV of the same filters holds the same requests.
        var csv = await ExportAsync($"team={team}&sort=time&order=asc", from);
        Assert.Equal([rows.PreTeam.RequestId, rows.Recorded.RequestId], csv.Select(r => r["request_id"]));
    }

    [Fact]
    public async Task No_team_finds_the_requests_whose_key_has_no_team_in_the_explorer_its_csv_and_the_dashboard()
    {
        var (from, to) = HalfHour(1);
        var team = "research-" + Guid.NewGuid().ToString("N")[..6];
        var rows = await SeedAsync(from, team);

        await History.ValidateAsync(new MetricsFilter(Team: MetricsFilter.NoTeam), Cancel);
        var page = await Explorer.PageAsync(new RequestQuery(from, to, Team: MetricsFilter.NoTeam, Sort: RequestSort.Time, Descending: false), Cancel);
        var dashboard = await History.TotalsAsync(from, to, new MetricsFilter(Team: MetricsFilter.NoTeam), Cancel);
        var all = await History.TotalsAsync(from, to, MetricsFilter.None, Cancel);
        var teams = await History.TotalsAsync(from, to, new MetricsFilter(Team: team), Cancel);
        var marketing = await History.TotalsAsync(from, to, new MetricsFilter(Team: team + "-before"), Cancel);

        var found = page.Rows.Select(r => r.RequestId).ToList();
        Assert.Contains(rows.Teamless.RequestId, found);
        Assert.Contains(rows.Keyless.RequestId, found);
        Assert.DoesNotContain(rows.PreTeam.RequestId, found);
        Assert.Equal(dashboard.Requests, page.Total);
        Assert.Equal(dashboard.CostNanoUsd, page.Rows.Sum(r => r.CostNanoUsd));

        // Every request is counted for exactly one team or for none.
        Assert.Equal(all.CostNanoUsd, dashboard.CostNanoUsd + teams.CostNanoUsd + marketing.CostNanoUsd);

        var csv = await ExportAsync("team=" + Uri.EscapeDataString(MetricsFilter.NoTeam), from);
        Assert.Equal(found.Order(StringComparer.Ordinal), csv.Select(r => r["request_id"]).Where(found.Contains).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(csv, r => r["request_id"] == rows.Recorded.RequestId || r["request_id"] == rows.PreTeam.RequestId);
    }

    [Fact]
    public async Task A_key_cannot_be_given_the_name_the_filters_use_for_no_team()
    {
        var keys = factory.Services.GetRequiredService<CostConsole.Web.Keys.KeyService>();

        var (result, key) = await keys.CreateAsync(new CostConsole.Web.Keys.KeyForm { Name = "sneaky", Team = "no team" }, "alice", cancellationToken: Cancel);

        Assert.False(result.Saved);
        Assert.Null(key);
        Assert.Contains("choose another team name", result.Summary, StringComparison.Ordinal);
    }

    /// <summary>The CSV of the day holding <paramref name="at"/>, with <paramref name="filters"/>.</summary>
    private async Task<List<Dictionary<string, string>>> ExportAsync(string filters, DateTimeOffset at)
    {
        using var console = await factory.CreateConsoleClientAsync(Roles.FinOps);
        var day = at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var text = await console.GetStringAsync($"/api/requests/export.csv?range=custom&from={day}&to={day}&{filters}", Cancel);
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

    private static ApiKeyEntity Key(string name, string? team) => new()
    {
        Name = name + "-" + Guid.NewGuid().ToString("N")[..6],
        Team = team,
        Prefix = "cc-" + name[..3],
        Hash = Guid.NewGuid().ToString("N"),
        CreatedAt = DateTimeOffset.UtcNow.AddDays(-1),
    };

    private static RequestLogRow Row(long? keyId, string? team, DateTimeOffset at, decimal cost)
    {
        var row = SpendLedger.Row(keyId, at, "gpt-4o-mini", cost, cost * 4, null);
        row.Team = team;
        return row;
    }
}
