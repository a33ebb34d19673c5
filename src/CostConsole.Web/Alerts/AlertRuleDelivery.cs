using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Retry;

namespace CostConsole.Web.Alerts;

/// <summary>A rule alert to deliver: its firing or resolution, and where the rule sends it.</summary>
internal sealed record RuleAlertDelivery(ConsoleAlert Alert, string RuleName, long? AlertEventId, AlertStage Stage, string? WebhookUrl, WebhookFormat Format, string? EmailTo);

/// <summary>
/// Delivers rule alerts to the rule's webhook (in its format), the configured webhook (plain JSON) and the rule's
/// e-mail recipients, each recorded in the alert history with its outcome. Runs apart from the evaluation, so a slow or
/// failing destination never delays the next minute's rules; failures are logged and shown in the history.
/// </summary>
internal sealed partial class AlertRuleDelivery(
    IDbContextFactory<CostConsoleDbContext> factory,
    IHttpClientFactory http,
    IOptions<BudgetOptions> budgets,
    IOptions<AlertEmailOptions> email,
    TimeProvider time,
    ILogger<AlertRuleDelivery> logger) : BackgroundService
{
    public const string Webhook = "webhook";
    public const string Email = "email";

    private readonly Channel<RuleAlertDelivery> _queue = Channel.CreateUnbounded<RuleAlertDelivery>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(RuleAlertDelivery delivery) => _queue.Writer.TryWrite(delivery);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                running.RemoveAll(t => t.IsCompleted);
                running.Add(DeliverAsync(delivery, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await Task.WhenAll(running);
    }

    /// <summary>Sends one alert to each of its destinations at once and records each outcome; never throws for a destination.</summary>
    public async Task DeliverAsync(RuleAlertDelivery delivery, CancellationToken cancellationToken)
    {
        var destinations = new List<(string Channel, string Destination, WebhookFormat Format)>();
        if (!string.IsNullOrWhiteSpace(delivery.WebhookUrl))
        {
            destinations.Add((Webhook, delivery.WebhookUrl, delivery.Format));
        }

        if (budgets.Value.WebhookUrl is { Length: > 0 } configured && configured != delivery.WebhookUrl)
        {
            destinations.Add((Webhook, configured, WebhookFormat.Json));
        }

        if (!string.IsNullOrWhiteSpace(delivery.EmailTo))
        {
            destinations.Add((Email, delivery.EmailTo, WebhookFormat.Json));
        }

        await Task.WhenAll(destinations.Select(async d =>
        {
            var id = await RecordAsync(delivery, d.Channel, d.Destination, d.Format, cancellationToken);
            (bool Delivered, string? Detail) outcome;
            try
            {
                outcome = await WithRetriesAsync(id, d.Channel == Email
                    ? token => SendEmailAsync(delivery, d.Destination, token)
                    : token => PostAsync(delivery, d.Destination, d.Format, token), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (!outcome.Delivered)
            {
                DeliveryFailed(logger, delivery.RuleName, d.Channel, d.Destination, outcome.Detail ?? "");
            }

            await MarkAsync(id, outcome.Delivered ? AlertDeliveryOutcome.Delivered : AlertDeliveryOutcome.Failed, outcome.Detail);
        }));
    }

    /// <summary>The body a webhook receives: the console's JSON, a Slack message, or a Teams MessageCard.</summary>
    public static JsonObject Payload(RuleAlertDelivery delivery, WebhookFormat format)
    {
        var alert = delivery.Alert;
        var fired = delivery.Stage == AlertStage.Fired;
        var title = fired ? $"Alert fired: {delivery.RuleName}" : $"Alert resolved: {delivery.RuleName}";
        var at = alert.At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
        return format switch
        {
            WebhookFormat.Slack => new JsonObject
            {
                ["text"] = $"{title}. {alert.Message}",
                ["blocks"] = new JsonArray(
                    new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = title } },
                    new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = alert.Message } },
                    new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"CostConsole · {at}" }) }),
            },
            WebhookFormat.Teams => new JsonObject
            {
                ["@type"] = "MessageCard",
                ["@context"] = "https://schema.org/extensions",
                ["summary"] = title,
                ["themeColor"] = fired ? "D13438" : "2EB886",
                ["title"] = title,
                ["text"] = alert.Message,
                ["sections"] = new JsonArray(new JsonObject
                {
                    ["facts"] = new JsonArray(
                        new JsonObject { ["name"] = "Rule", ["value"] = delivery.RuleName },
                        new JsonObject { ["name"] = "State", ["value"] = fired ? "Firing" : "Resolved" },
                        new JsonObject { ["name"] = "At", ["value"] = at }),
                }),
            },
            _ => new JsonObject
            {
                ["kind"] = alert.Kind,
                ["message"] = alert.Message,
                ["at"] = alert.At,
                ["rule"] = delivery.RuleName,
                ["rule_id"] = alert.RuleId,
                ["alert_event_id"] = delivery.AlertEventId,
            },
        };
    }

    /// <summary>
    /// Tries a delivery up to <see cref="BudgetOptions.WebhookAttempts"/> times with exponential backoff from
    /// <see cref="BudgetOptions.WebhookRetrySeconds"/>, webhooks and e-mail alike. Each failed attempt is written to the
    /// delivery's line in the alert history as it happens (still sending, with the reason and the next try), and the
    /// final line says on which attempt it went through, or that every attempt failed and why.
    /// </summary>
    private async Task<(bool Delivered, string? Detail)> WithRetriesAsync(long id, Func<CancellationToken, Task<string?>> attempt, CancellationToken cancellationToken)
    {
        var settings = budgets.Value;
        var attempts = Math.Max(1, settings.WebhookAttempts);
        var failures = new List<string>();
        var pipeline = new ResiliencePipelineBuilder<string?>();
        if (attempts > 1)
        {
            pipeline.AddRetry(new RetryStrategyOptions<string?>
            {
                MaxRetryAttempts = attempts - 1,
                Delay = TimeSpan.FromSeconds(settings.WebhookRetrySeconds),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is not null),
                OnRetry = async args =>
                {
                    var seconds = args.RetryDelay.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture);
                    await MarkAsync(id, AlertDeliveryOutcome.Pending, $"{Attempts(failures)} Trying again in {seconds} s (attempt {failures.Count + 1} of {attempts}).");
                },
            });
        }

        var failure = await pipeline.Build().ExecuteAsync(async token =>
        {
            var result = await attempt(token);
            if (result is not null)
            {
                failures.Add(result);
            }

            return result;
        }, cancellationToken);
        if (failure is null)
        {
            return (true, failures.Count == 0 ? null : $"Delivered on attempt {failures.Count + 1} of {attempts}. {Attempts(failures)}");
        }

        return (false, failures.Count == 1
            ? $"{failure.TrimEnd('.')}."
            : $"Every one of {failures.Count} attempts failed. {Attempts(failures)}");

        static string Attempts(List<string> failures) => string.Join(" ", failures.Select((f, i) => $"Attempt {i + 1}: {f.TrimEnd('.')}."));
    }

    /// <summary>Posts once; returns why it failed, or null when delivered.</summary>
    private async Task<string?> PostAsync(RuleAlertDelivery delivery, string url, WebhookFormat format, CancellationToken cancellationToken)
    {
        var client = http.CreateClient(AlertDelivery.HttpClientName);
        var payload = Payload(delivery, format);
        try
        {
            using var response = await client.PostAsJsonAsync(url, payload, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"Answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return $"Not reached: {ex.Message}";
        }
    }

    /// <summary>Sends one message to the recipients through the configured SMTP server, once; returns why it failed, or null when sent.</summary>
    private async Task<string?> SendEmailAsync(RuleAlertDelivery delivery, string recipients, CancellationToken cancellationToken)
    {
        var settings = email.Value;
        if (!settings.Configured)
        {
            return "No SMTP server is configured (CostConsole:Alerts:Smtp:Host).";
        }

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From ?? $"costconsole@{settings.Host}"));
        foreach (var recipient in AlertRuleService.Recipients(recipients))
        {
            message.To.Add(MailboxAddress.Parse(recipient));
        }

        var fired = delivery.Stage == AlertStage.Fired;
        message.Subject = fired ? $"[CostConsole] Alert fired: {delivery.RuleName}" : $"[CostConsole] Alert resolved: {delivery.RuleName}";
        message.Body = new TextPart("plain")
        {
            Text = $"{delivery.Alert.Message}\n\n{delivery.Alert.At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. The alert history in CostConsole lists every episode of this rule.\n",
        };

        using var client = new SmtpClient { Timeout = 15_000 };
        try
        {
            var security = settings.UseTls ? (settings.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls) : SecureSocketOptions.None;
            await client.ConnectAsync(settings.Host!, settings.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(settings.UserName))
            {
                await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or MailKit.ServiceNotConnectedException
            or MailKit.Security.AuthenticationException or System.Net.Sockets.SocketException or IOException or TimeoutException or SslHandshakeException
            && !cancellationToken.IsCancellationRequested)
        {
            return $"Not sent: {ex.Message}";
        }
    }

    private async Task<long> RecordAsync(RuleAlertDelivery delivery, string channel, string destination, WebhookFormat format, CancellationToken cancellationToken)
    {
        if (delivery.AlertEventId is not { } eventId)
        {
            return 0;
        }

        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var row = new AlertDeliveryEntity { AlertEventId = eventId, Stage = delivery.Stage, Channel = channel, Destination = destination, Format = format, Outcome = AlertDeliveryOutcome.Pending, At = time.GetUtcNow() };
            db.AlertDeliveries.Add(row);
            await db.SaveChangesAsync(cancellationToken);
            return row.Id;
        }
        catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException)
        {
            // The episode may have been deleted with its history; the alert is still sent.
            NotRecorded(logger, ex);
            return 0;
        }
    }

    private async Task MarkAsync(long id, AlertDeliveryOutcome outcome, string? detail)
    {
        if (id == 0)
        {
            return;
        }

        try
        {
            await using var db = await factory.CreateDbContextAsync();
            await db.AlertDeliveries.Where(d => d.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Outcome, outcome)
                .SetProperty(d => d.Detail, detail)
                .SetProperty(d => d.At, time.GetUtcNow()));
        }
        catch (System.Data.Common.DbException ex)
        {
            NotRecorded(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert rule '{Rule}': {Channel} to {Destination} was not delivered: {Detail}")]
    private static partial void DeliveryFailed(ILogger logger, string rule, string channel, string destination, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An alert delivery could not be recorded in the alert history.")]
    private static partial void NotRecorded(ILogger logger, Exception exception);
}
