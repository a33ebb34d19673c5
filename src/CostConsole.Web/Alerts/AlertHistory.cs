using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Alerts;

/// <summary>Which episodes the history shows.</summary>
public enum AlertEventState
{
    All,
    Firing,
    Resolved,
}

/// <summary>One page of the alert history, newest firing first.</summary>
public sealed record AlertHistoryPage(IReadOnlyList<AlertEventEntity> Events, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>The alert history: every episode of every alert rule, with its deliveries, paged and filtered by rule and state.</summary>
internal sealed class AlertHistory(IDbContextFactory<CostConsoleDbContext> factory)
{
    public const int PageSize = 20;

    public async Task<AlertHistoryPage> PageAsync(long? ruleId, AlertEventState state, int page, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var events = db.AlertEvents.AsNoTracking();
        if (ruleId is { } id)
        {
            events = events.Where(e => e.RuleId == id);
        }

        events = state switch
        {
            AlertEventState.Firing => events.Where(e => e.ResolvedAt == null),
            AlertEventState.Resolved => events.Where(e => e.ResolvedAt != null),
            _ => events,
        };
        var total = await events.CountAsync(cancellationToken);
        var pages = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pages);
        var rows = await events
            .OrderByDescending(e => e.FiredAt).ThenByDescending(e => e.Id)
            .Skip((page - 1) * PageSize).Take(PageSize)
            .Include(e => e.Deliveries)
            .AsSplitQuery()
            .ToListAsync(cancellationToken);
        return new AlertHistoryPage(rows, total, page, PageSize);
    }

    /// <summary>The rules the history can be filtered by: every rule that has fired, under its latest name, and today's rules.</summary>
    public async Task<IReadOnlyList<(long Id, string Name)>> RulesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var current = await db.AlertRules.AsNoTracking().Select(r => new { r.Id, r.Name }).ToListAsync(cancellationToken);
        var past = await db.AlertEvents.AsNoTracking()
            .GroupBy(e => e.RuleId)
            .Select(g => new { Id = g.Key, Name = g.OrderByDescending(e => e.FiredAt).Select(e => e.RuleName).First() })
            .ToListAsync(cancellationToken);
        return [.. current.Select(r => (r.Id, r.Name))
            .Concat(past.Where(p => current.All(c => c.Id != p.Id)).Select(p => (p.Id, p.Name + " (deleted)")))
            .OrderBy(r => r.Item2, StringComparer.CurrentCultureIgnoreCase)];
    }
}

internal static class AlertHistoryRegistration
{
    /// <summary>The alert history, the delivery of rule alerts, and the SMTP server they may e-mail through.</summary>
    public static IServiceCollection AddAlertHistory(this IServiceCollection services)
    {
        services.AddOptions<AlertEmailOptions>().BindConfiguration(AlertEmailOptions.Section)
            .Validate(o => !o.Configured || o.Port is > 0 and <= 65535, "CostConsole:Alerts:Smtp:Port must be 1–65535.")
            .Validate(o => !o.Configured || string.IsNullOrWhiteSpace(o.From) || MimeKit.MailboxAddress.TryParse(o.From, out _), "CostConsole:Alerts:Smtp:From is not an e-mail address.")
            .ValidateOnStart();
        services.AddSingleton<AlertHistory>();
        services.AddSingleton<AlertRuleDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertRuleDelivery>());
        return services;
    }
}
