using System.Net.Http.Json;
using System.Threading.Channels;
using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CostConsole.Web.Budgets;

/// <summary>An alert as the console shows it and the webhook receives it.</summary>
public sealed record ConsoleAlert(
    DateTimeOffset At,
    string Kind,
    string Message,
    long? BudgetId = null,
    string? Budget = null,
    int Threshold = 0,
    DateTimeOffset? PeriodStart = null,
    string? ConversationId = null,
    long? SpentNanoUsd = null,
    long? LimitNanoUsd = null)
{
    public const string BudgetThreshold = "budget_threshold";
    public const string BudgetLimitReached = "budget_limit_reached";
    public const string ConversationTokens = "conversation_tokens";
    public const string SharedStoreUnavailable = "shared_store_unavailable";
    public const string RuleFired = "alert_rule_fired";
    public const string RuleResolved = "alert_rule_resolved";

    public bool IsSevere => Kind is not (BudgetThreshold or RuleResolved) || Threshold >= 100;

    /// <summary>The alert rule that raised it; null for budget and conversation alerts.</summary>
    public long? RuleId { get; init; }

    /// <summary>The rule's episode in the alert history.</summary>
    public long? AlertEventId { get; init; }

    public bool IsRuleAlert => Kind is RuleFired or RuleResolved;
}

/// <summary>
/// Where alerts go: the console's open pages get them at once (<see cref="Raised"/>), the database keeps them,
/// and the configured webhooks receive them as JSON, retried with backoff.
/// </summary>
public sealed class AlertCenter
{
    private readonly Channel<(ConsoleAlert Alert, string? Webhook)> _outbox = Channel.CreateUnbounded<(ConsoleAlert, string?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private readonly LinkedList<ConsoleAlert> _recent = new();

    public const int RecentCount = 30;

    /// <summary>Raised on the thread that crossed the threshold: handlers must hand off to their own context.</summary>
    public event Action<ConsoleAlert>? Raised;

    public IReadOnlyList<ConsoleAlert> Recent()
    {
        lock (_gate)
        {
            return [.. _recent];
        }
    }

    public void Raise(ConsoleAlert alert, string? webhookUrl)
    {
        lock (_gate)
        {
            _recent.AddFirst(alert);
            while (_recent.Count > RecentCount)
            {
                _recent.RemoveLast();
            }
        }

        _outbox.Writer.TryWrite((alert, webhookUrl));
        Raised?.Invoke(alert);
    }

    /// <summary>Shows an alert in the console only: alert rules store and deliver their own (see the alert history).</summary>
    public void Show(ConsoleAlert alert)
    {
        lock (_gate)
        {
            _recent.AddFirst(alert);
            while (_recent.Count > RecentCount)
            {
                _recent.RemoveLast();
            }
        }

        Raised?.Invoke(alert);
    }

    internal ChannelReader<(ConsoleAlert Alert, string? Webhook)> Outbox => _outbox.Reader;

    internal void Complete() => _outbox.Writer.TryComplete();

    /// <summary>Shows the latest stored alerts after a restart.</summary>
    internal async Task LoadAsync(IDbContextFactory<CostConsoleDbContext> factory, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.BudgetAlerts.AsNoTracking().OrderByDescending(a => a.At).Take(RecentCount).ToListAsync(cancellationToken);
        var budgetAlerts = rows.Select(row => new ConsoleAlert(
            row.At, row.ConversationId is not null ? ConsoleAlert.ConversationTokens : ConsoleAlert.BudgetThreshold, row.Message, row.BudgetId, null, row.Threshold, row.PeriodStart, row.ConversationId));

        // Rule alerts live in the alert history: each episode is a firing and, once over, a resolution.
        var episodes = await db.AlertEvents.AsNoTracking()
            .OrderByDescending(e => e.ResolvedAt ?? e.FiredAt)
            .Take(RecentCount)
            .ToListAsync(cancellationToken);
        var ruleAlerts = episodes.SelectMany(e => e.ResolvedAt is { } resolved
            ? new[]
            {
                new ConsoleAlert(resolved, ConsoleAlert.RuleResolved, e.ResolvedMessage ?? e.FiredMessage) { RuleId = e.RuleId, AlertEventId = e.Id },
                new ConsoleAlert(e.FiredAt, ConsoleAlert.RuleFired, e.FiredMessage) { RuleId = e.RuleId, AlertEventId = e.Id },
            }
            : [new ConsoleAlert(e.FiredAt, ConsoleAlert.RuleFired, e.FiredMessage) { RuleId = e.RuleId, AlertEventId = e.Id }]);
        lock (_gate)
        {
            _recent.Clear();
            foreach (var alert in budgetAlerts.Concat(ruleAlerts).OrderByDescending(a => a.At).Take(RecentCount))
            {
                _recent.AddLast(alert);
            }
        }
    }
}

/// <summary>Stores each alert and POSTs it to its webhooks, retrying a failed delivery with exponential backoff.</summary>
internal sealed class AlertDelivery(
    AlertCenter alerts,
    IDbContextFactory<CostConsoleDbContext> factory,
    IHttpClientFactory http,
    IOptions<BudgetOptions> options,
    ILogger<AlertDelivery> logger) : BackgroundService
{
    public const string HttpClientName = "alerts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deliveries = new List<Task>();
        try
        {
            await foreach (var (alert, webhook) in alerts.Outbox.ReadAllAsync(stoppingToken))
            {
                var urls = new[] { webhook, options.Value.WebhookUrl }.Where(u => !string.IsNullOrWhiteSpace(u)).Distinct().ToList();
                long id;
                try
                {
                    id = await StoreAsync(alert, urls.Count > 0 ? "pending" : null, stoppingToken);
                }
                catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException)
                {
                    AlertLog.NotStored(logger, ex);
                    id = 0;
                }

                deliveries.RemoveAll(t => t.IsCompleted);
                foreach (var url in urls)
                {
                    deliveries.Add(DeliverAsync(id, alert, url!, stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await Task.WhenAll(deliveries);
    }

    private async Task<long> StoreAsync(ConsoleAlert alert, string? webhook, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = new BudgetAlertEntity
        {
            At = alert.At,
            BudgetId = alert.BudgetId,
            PeriodStart = alert.PeriodStart,
            Threshold = alert.Threshold,
            ConversationId = alert.ConversationId,
            Message = alert.Message,
            Webhook = webhook,
        };
        db.BudgetAlerts.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return row.Id;
    }

    private async Task DeliverAsync(long id, ConsoleAlert alert, string url, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromSeconds(settings.WebhookRetrySeconds);
        var payload = new
        {
            kind = alert.Kind,
            message = alert.Message,
            at = alert.At,
            budget_id = alert.BudgetId,
            budget = alert.Budget,
            threshold_percent = alert.Threshold,
            period_start = alert.PeriodStart,
            conversation_id = alert.ConversationId,
            spent_usd = alert.SpentNanoUsd / 1e9m,
            limit_usd = alert.LimitNanoUsd / 1e9m,
        };
        var client = http.CreateClient(HttpClientName);
        var attempts = Math.Max(1, settings.WebhookAttempts);
        var delivery = DeliveryPipeline(url, attempts, TimeSpan.FromSeconds(settings.WebhookRetrySeconds), stoppingToken);
        try
        {
            using var response = await delivery.ExecuteAsync(async token => await client.PostAsJsonAsync(url, payload, token), stoppingToken);
            if (response.IsSuccessStatusCode)
            {
                await MarkAsync(id, "delivered");
                return;
            }

            AlertLog.WebhookRefused(logger, url, (int)response.StatusCode, attempts);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            AlertLog.WebhookFailed(logger, url, attempts, ex.Message);
        }

        await MarkAsync(id, "failed");
    }

    /// <summary>Polly retries of one delivery: a refusal or a failed connection is tried again, each wait twice the last.</summary>
    private ResiliencePipeline<HttpResponseMessage> DeliveryPipeline(string url, int attempts, TimeSpan delay, CancellationToken stoppingToken)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (attempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = attempts - 1,
                Delay = delay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .HandleResult(response => !response.IsSuccessStatusCode)
                    .Handle<HttpRequestException>()
                    .Handle<InvalidOperationException>()
                    .Handle<TaskCanceledException>(_ => !stoppingToken.IsCancellationRequested),
                OnRetry = retry =>
                {
                    if (retry.Outcome.Result is { } refused)
                    {
                        AlertLog.WebhookRefused(logger, url, (int)refused.StatusCode, retry.AttemptNumber + 1);
                    }
                    else
                    {
                        AlertLog.WebhookFailed(logger, url, retry.AttemptNumber + 1, retry.Outcome.Exception?.Message ?? "");
                    }

                    return default;
                },
            });
        }

        return builder.Build();
    }

    private async Task MarkAsync(long id, string state)
    {
        if (id == 0)
        {
            return;
        }

        try
        {
            await using var db = await factory.CreateDbContextAsync();
            await db.BudgetAlerts.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Webhook, state));
        }
        catch (System.Data.Common.DbException ex)
        {
            AlertLog.NotStored(logger, ex);
        }
    }
}

internal static partial class AlertLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "An alert could not be stored.")]
    public static partial void NotStored(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook {Url} answered {Status} (attempt {Attempt}).")]
    public static partial void WebhookRefused(ILogger logger, string url, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook {Url} failed (attempt {Attempt}): {Error}")]
    public static partial void WebhookFailed(ILogger logger, string url, int attempt, string error);
}
