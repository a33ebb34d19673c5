using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>The ledger rows of one range that the dashboard's filters select, for the figures read straight from the ledger.</summary>
internal static class LedgerRows
{
    /// <summary>
    /// Rows in [<paramref name="from"/>, <paramref name="to"/>) matching <paramref name="filter"/>. A team is counted as
    /// the rollups count it: the team the row recorded, or for rows from before teams were recorded, its key's team now.
    /// </summary>
    public static IQueryable<RequestLogRow> InRange(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter)
    {
        var rows = db.RequestLog.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);
        if (filter.Team is { } team)
        {
            rows = rows.OfTeam(db, team);
        }

        if (filter.ApiKeyId is { } key)
        {
            rows = rows.Where(r => r.ApiKeyId == key);
        }

        if (filter.Tier is { } tier)
        {
            rows = rows.Where(r => r.Tier == tier);
        }

        if (filter.Model is { } model)
        {
            rows = rows.Where(r => r.Model == model);
        }

        if (filter.Rule is { } rule)
        {
            rows = rows.Where(r => r.Rule == rule);
        }

        return rows;
    }

    /// <summary>
    /// The rows a team is counted for, as the rollups count it: the team the row recorded, or for rows from before teams
    /// were recorded, its key's team now. <see cref="MetricsFilter.NoTeam"/> selects the rows no team is counted for: no
    /// team recorded and a key without a team (or no key).
    /// </summary>
    public static IQueryable<RequestLogRow> OfTeam(this IQueryable<RequestLogRow> rows, CostConsoleDbContext db, string team) =>
        team == MetricsFilter.NoTeam
            ? rows.Where(r => r.Team == null && (r.ApiKeyId == null || !db.ApiKeys.Any(k => k.Id == r.ApiKeyId && k.Team != null && k.Team != "")))
            : rows.Where(r => r.Team == team || (r.Team == null && db.ApiKeys.Where(k => k.Team == team).Select(k => (long?)k.Id).Contains(r.ApiKeyId)));
}
