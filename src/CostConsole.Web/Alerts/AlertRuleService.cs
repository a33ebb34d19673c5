using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Keys;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Alerts;

/// <summary>An alert rule as the form edits it; thresholds of shares are in percent, of money in USD.</summary>
public sealed class AlertRuleForm
{
    public long? Id { get; set; }

    public string? Name { get; set; }

    public AlertMetric Metric { get; set; } = AlertMetric.SpendRate;

    public AlertScope Scope { get; set; } = AlertScope.Global;

    public string? ScopeValue { get; set; }

    public AlertMode Mode { get; set; } = AlertMode.Threshold;

    public AlertDirection Direction { get; set; } = AlertDirection.Above;

    /// <summary>USD for spend per hour and cost per request, milliseconds for latency, percent for the rates; the factor in anomaly mode.</summary>
    public double? Threshold { get; set; }

    public int WindowMinutes { get; set; } = 60;

    public string? WebhookUrl { get; set; }

    public WebhookFormat WebhookFormat { get; set; }

    /// <summary>E-mail recipients, separated by commas or semicolons.</summary>
    public string? EmailTo { get; set; }

    public bool Enabled { get; set; } = true;

    public static AlertRuleForm From(AlertRuleEntity rule) => new()
    {
        Id = rule.Id,
        Name = rule.Name,
        Metric = rule.Metric,
        Scope = rule.Scope,
        ScopeValue = rule.ScopeValue,
        Mode = rule.Mode,
        Direction = rule.Direction,
        Threshold = rule.Mode == AlertMode.Threshold && AlertRuleCheck.IsShare(rule.Metric) ? Math.Round(rule.Threshold * 100, 6) : rule.Threshold,
        WindowMinutes = rule.WindowMinutes,
        WebhookUrl = rule.WebhookUrl,
        WebhookFormat = rule.WebhookFormat,
        EmailTo = rule.EmailTo,
        Enabled = rule.Enabled,
    };
}

/// <summary>Alert rules: validated against the keys, teams and models the console knows, audited, evaluated every minute.</summary>
internal sealed class AlertRuleService(IDbContextFactory<CostConsoleDbContext> factory, MetricsHistory history, TimeProvider time, IOptions<AlertEmailOptions>? email = null)
{
    public const int MinWindow = 5;
    public const int MaxWindow = 1440;
    public const int MaxRecipients = 20;

    /// <summary>Whether an SMTP server is configured, so rules can e-mail.</summary>
    public bool CanEmail => email?.Value.Configured == true;

    public static IReadOnlyList<string> Recipients(string? list) =>
        [.. (list ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public async Task<IReadOnlyList<AlertRuleEntity>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.AlertRules.AsNoTracking().OrderBy(r => r.Name).ToListAsync(cancellationToken);
    }

    public async Task<ChangeResult> SaveAsync(AlertRuleForm form, string author, CancellationToken cancellationToken = default)
    {
        if (await ErrorAsync(form, cancellationToken) is { } error)
        {
            return ChangeResult.Invalid(error.Field, error.Message);
        }

        var name = form.Name!.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.AlertRules.AnyAsync(r => r.Name == name && r.Id != (form.Id ?? 0), cancellationToken))
        {
            return ChangeResult.Invalid(nameof(AlertRuleForm.Name), $"An alert rule is already named '{name}'.");
        }

        var now = time.GetUtcNow();
        AlertRuleEntity? rule;
        if (form.Id is { } id)
        {
            rule = await db.AlertRules.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
            if (rule is null)
            {
                return ChangeResult.Invalid(nameof(AlertRuleForm.Name), "This alert rule has been deleted meanwhile.");
            }
        }
        else
        {
            rule = new AlertRuleEntity { Name = name, CreatedAt = now };
            db.AlertRules.Add(rule);
        }

        var changedCondition = rule.Metric != form.Metric || rule.Scope != form.Scope || rule.ScopeValue != Value(form) || rule.Mode != form.Mode || rule.Direction != form.Direction;
        rule.Name = name;
        rule.Metric = form.Metric;
        rule.Scope = form.Scope;
        rule.ScopeValue = Value(form);
        rule.Mode = form.Mode;
        rule.Direction = form.Direction;
        rule.Threshold = form.Mode == AlertMode.Threshold && AlertRuleCheck.IsShare(form.Metric) ? form.Threshold!.Value / 100 : form.Threshold!.Value;
        rule.WindowMinutes = form.WindowMinutes;
        rule.WebhookUrl = string.IsNullOrWhiteSpace(form.WebhookUrl) ? null : form.WebhookUrl.Trim();
        rule.WebhookFormat = form.WebhookFormat;
        var recipients = Recipients(form.EmailTo);
        rule.EmailTo = recipients.Count == 0 ? null : string.Join(", ", recipients);
        rule.Enabled = form.Enabled;
        rule.UpdatedAt = now;
        rule.UpdatedBy = author;
        if (changedCondition || !form.Enabled)
        {
            // A new condition starts a new episode: it is evaluated at the next minute and fires if it holds.
            rule.Firing = false;
            rule.FiringSince = null;
            rule.LastEvaluatedAt = null;
        }

        db.AuditLog.Add(new AuditLogEntity { At = now, Actor = author, Action = form.Id is null ? "alert-rule.create" : "alert-rule.update", Subject = name, Details = AlertRuleCheck.Describe(rule) });
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Ok(rule.Id);
    }

    public async Task<bool> DeleteAsync(long id, string author, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rule = await db.AlertRules.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return false;
        }

        db.AlertRules.Remove(rule);
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = author, Action = "alert-rule.delete", Subject = rule.Name });
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private static string Noun(AlertScope scope) => scope == AlertScope.Rule ? "routing rule" : scope.ToString().ToLowerInvariant();

    private static string? Value(AlertRuleForm form) => form.Scope == AlertScope.Global ? null : form.ScopeValue?.Trim();

    private async Task<(string Field, string Message)?> ErrorAsync(AlertRuleForm form, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(form.Name))
        {
            return (nameof(AlertRuleForm.Name), "Give the rule a name.");
        }

        if (form.Name.Trim().Length > AlertRuleEntity.MaxName)
        {
            return (nameof(AlertRuleForm.Name), $"A rule's name has at most {AlertRuleEntity.MaxName} characters.");
        }

        if (form.Scope != AlertScope.Global)
        {
            var value = Value(form);
            var choices = await history.ChoicesAsync(cancellationToken);
            var known = form.Scope switch
            {
                AlertScope.Team => choices.Teams.Contains(value ?? ""),
                AlertScope.Key => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var key) && choices.Keys.Any(k => k.Id == key),
                AlertScope.Rule => choices.Rules.Contains(value ?? ""),
                _ => choices.Models.Contains(value ?? ""),
            };
            if (string.IsNullOrEmpty(value))
            {
                return (nameof(AlertRuleForm.ScopeValue), $"Choose the {Noun(form.Scope)} the rule watches.");
            }

            if (!known)
            {
                return (nameof(AlertRuleForm.ScopeValue), $"There is no {Noun(form.Scope)} '{value}'{(form.Scope == AlertScope.Rule ? " in the published rule set or the traffic so far" : "")}.");
            }
        }

        if (form.Threshold is not { } threshold || double.IsNaN(threshold) || double.IsInfinity(threshold))
        {
            return (nameof(AlertRuleForm.Threshold), form.Mode == AlertMode.Anomaly ? "Enter the factor against the baseline, e.g. 2 for twice." : "Enter a threshold.");
        }

        if (form.Mode == AlertMode.Anomaly && threshold is <= 1 or > 100)
        {
            return (nameof(AlertRuleForm.Threshold), "The factor against the baseline is more than 1 (e.g. 2 for twice) and at most 100.");
        }

        if (form.Mode == AlertMode.Threshold && AlertRuleCheck.IsShare(form.Metric) && threshold is < 0 or > 100)
        {
            return (nameof(AlertRuleForm.Threshold), "A rate's threshold is a percentage from 0 to 100.");
        }

        if (form.Mode == AlertMode.Threshold && form.Metric == AlertMetric.LatencyP95 && threshold < 0)
        {
            return (nameof(AlertRuleForm.Threshold), "A latency threshold in milliseconds cannot be negative.");
        }

        if (form.Mode == AlertMode.Threshold && !AlertRuleCheck.IsShare(form.Metric) && threshold < 0)
        {
            return (nameof(AlertRuleForm.Threshold), "A threshold in USD cannot be negative.");
        }

        if (form.WindowMinutes is < MinWindow or > MaxWindow)
        {
            return (nameof(AlertRuleForm.WindowMinutes), $"The window is from {MinWindow} to {MaxWindow} minutes.");
        }

        if (!string.IsNullOrWhiteSpace(form.WebhookUrl)
            && (!Uri.TryCreate(form.WebhookUrl.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            return (nameof(AlertRuleForm.WebhookUrl), "The webhook is an http or https address.");
        }

        var recipients = Recipients(form.EmailTo);
        if (recipients.Count > 0 && !CanEmail)
        {
            return (nameof(AlertRuleForm.EmailTo), "E-mail needs an SMTP server: set CostConsole:Alerts:Smtp:Host first.");
        }

        if (recipients.Count > MaxRecipients)
        {
            return (nameof(AlertRuleForm.EmailTo), $"A rule e-mails at most {MaxRecipients} recipients.");
        }

        if (recipients.FirstOrDefault(r => !MimeKit.MailboxAddress.TryParse(r, out var address) || !address.Address.Contains('@', StringComparison.Ordinal)) is { } wrong)
        {
            return (nameof(AlertRuleForm.EmailTo), $"'{wrong}' is not an e-mail address.");
        }

        return null;
    }
}
