using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using CostConsole.Web.Budgets;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Tests.Alerts;

/// <summary>Rule alerts delivered to an in-process HTTP listener and an in-process SMTP receiver, each outcome recorded in the history.</summary>
public sealed class AlertRuleDeliveryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 11, 20, 14, 0, 0, TimeSpan.Zero);

    private readonly HookListener _hooks = new();
    private readonly SmtpReceiver _smtp = new();
    private CatalogueDatabase _database = null!;
    private long _eventId;

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        _eventId = await _database.QueryAsync(async db =>
        {
            var episode = new AlertEventEntity { RuleId = 7, RuleName = "Spend runs hot", Condition = "Spend per hour of all traffic above $5.00 over 60 min", FiredAt = At, FiredMessage = "Spend runs hot: Spend per hour of all traffic is $9.00 over the last 60 min, above the threshold of $5.00.", Value = 9, Threshold = 5 };
            db.AlertEvents.Add(episode);
            await db.SaveChangesAsync();
            return episode.Id;
        });
    }

    public async ValueTask DisposeAsync()
    {
        _hooks.Dispose();
        _smtp.Dispose();
        await _database.DisposeAsync();
    }

    private AlertRuleDelivery Delivery(string? configuredWebhook = null) => new(
        _database.Factory,
        new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(),
        Options.Create(new BudgetOptions { WebhookUrl = configuredWebhook, WebhookAttempts = 2, WebhookRetrySeconds = 0.01 }),
        Options.Create(new AlertEmailOptions { Host = "127.0.0.1", Port = _smtp.Port, From = "costconsole@example.test" }),
        TimeProvider.System,
        NullLogger<AlertRuleDelivery>.Instance);

    private RuleAlertDelivery Fired(string? webhook, WebhookFormat format, string? email = null) => new(
        new ConsoleAlert(At, ConsoleAlert.RuleFired, "Spend runs hot: Spend per hour of all traffic is $9.00 over the last 60 min, above the threshold of $5.00.") { RuleId = 7, AlertEventId = _eventId },
        "Spend runs hot", _eventId, AlertStage.Fired, webhook, format, email);

    [Fact]
    public async Task A_slack_webhook_gets_text_and_blocks_a_teams_webhook_a_message_card_and_the_configured_one_plain_json()
    {
        var ct = TestContext.Current.CancellationToken;

        await Delivery(configuredWebhook: _hooks.Url("console")).DeliverAsync(Fired(_hooks.Url("slack"), WebhookFormat.Slack), ct);
        await Delivery().DeliverAsync(Fired(_hooks.Url("teams"), WebhookFormat.Teams), ct);

        var slack = _hooks.Received["slack"];
        Assert.Equal("Alert fired: Spend runs hot. Spend runs hot: Spend per hour of all traffic is $9.00 over the last 60 min, above the threshold of $5.00.", slack.GetProperty("text").GetString());
        var blocks = slack.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["header", "section", "context"], blocks.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("Alert fired: Spend runs hot", blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal("mrkdwn", blocks[1].GetProperty("text").GetProperty("type").GetString());

        var teams = _hooks.Received["teams"];
        Assert.Equal("MessageCard", teams.GetProperty("@type").GetString());
        Assert.Equal("https://schema.org/extensions", teams.GetProperty("@context").GetString());
        Assert.Equal("Alert fired: Spend runs hot", teams.GetProperty("title").GetString());
        Assert.Equal([("Rule", "Spend runs hot"), ("State", "Firing"), ("At", "2026-11-20 14:00 UTC")],
            teams.GetProperty("sections")[0].GetProperty("facts").EnumerateArray().Select(f => (f.GetProperty("name").GetString(), f.GetProperty("value").GetString())));

        var json = _hooks.Received["console"];
        Assert.Equal(("alert_rule_fired", "Spend runs hot", 7L, _eventId), (json.GetProperty("kind").GetString(), json.GetProperty("rule").GetString(), json.GetProperty("rule_id").GetInt64(), json.GetProperty("alert_event_id").GetInt64()));

        var deliveries = await DeliveriesAsync(ct);
        Assert.Equal(
            [(_hooks.Url("console"), WebhookFormat.Json, AlertDeliveryOutcome.Delivered), (_hooks.Url("slack"), WebhookFormat.Slack, AlertDeliveryOutcome.Delivered), (_hooks.Url("teams"), WebhookFormat.Teams, AlertDeliveryOutcome.Delivered)],
            deliveries.Select(d => (d.Destination, d.Format, d.Outcome)).Order());
    }

    [Fact]
    public async Task An_email_goes_to_every_recipient_through_the_smtp_server_and_a_refusing_webhook_is_recorded_as_failed_with_its_answer()
    {
        var ct = TestContext.Current.CancellationToken;

        await Delivery().DeliverAsync(Fired(_hooks.Url("refuse"), WebhookFormat.Json, "finops@example.test, oncall@example.test"), ct);

        var mail = Assert.Single(_smtp.Messages);
        Assert.Equal(["<finops@example.test>", "<oncall@example.test>"], mail.Recipients);
        Assert.Contains("Subject: [CostConsole] Alert fired: Spend runs hot", mail.Data, StringComparison.Ordinal);
        Assert.Contains("is $9.00 over the last 60 min", mail.Data, StringComparison.Ordinal);
        Assert.Equal(2, _hooks.Calls("refuse")); // retried once, then given up

        var deliveries = await DeliveriesAsync(ct);
        var email = Assert.Single(deliveries, d => d.Channel == AlertRuleDelivery.Email);
        Assert.Equal((AlertDeliveryOutcome.Delivered, "finops@example.test, oncall@example.test"), (email.Outcome, email.Destination));
        var hook = Assert.Single(deliveries, d => d.Channel == AlertRuleDelivery.Webhook);
        Assert.Equal(AlertDeliveryOutcome.Failed, hook.Outcome);
        Assert.Equal("Every one of 2 attempts failed. Attempt 1: Answered 500 Internal Server Error. Attempt 2: Answered 500 Internal Server Error.", hook.Detail);
    }

    [Fact]
    public async Task An_smtp_server_that_is_not_there_fails_the_email_in_the_history_without_throwing()
    {
        var ct = TestContext.Current.CancellationToken;
        _smtp.Dispose();

        await Delivery().DeliverAsync(Fired(null, WebhookFormat.Json, "finops@example.test"), ct);

        var email = Assert.Single(await DeliveriesAsync(ct));
        Assert.Equal(AlertDeliveryOutcome.Failed, email.Outcome);
        Assert.StartsWith("Every one of 2 attempts failed. Attempt 1: Not sent: ", email.Detail, StringComparison.Ordinal);
        Assert.Contains("Attempt 2: Not sent: ", email.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_email_the_smtp_server_turns_away_once_is_sent_again_and_the_history_records_both_attempts()
    {
        var ct = TestContext.Current.CancellationToken;
        _smtp.RefuseNext = 1;

        await Delivery().DeliverAsync(Fired(null, WebhookFormat.Json, "finops@example.test"), ct);

        var mail = Assert.Single(_smtp.Messages);
        Assert.Equal(["<finops@example.test>"], mail.Recipients);
        Assert.Equal(2, _smtp.Connections);
        var email = Assert.Single(await DeliveriesAsync(ct));
        Assert.Equal(AlertDeliveryOutcome.Delivered, email.Outcome);
        Assert.StartsWith("Delivered on attempt 2 of 2. Attempt 1: Not sent: ", email.Detail, StringComparison.Ordinal);
        Assert.Contains("Try again later", email.Detail, StringComparison.Ordinal);
    }

    private async Task<List<AlertDeliveryEntity>> DeliveriesAsync(CancellationToken ct)
    {
        await using var db = await _database.Factory.CreateDbContextAsync(ct);
        return await db.AlertDeliveries.AsNoTracking().Where(d => d.AlertEventId == _eventId).ToListAsync(ct);
    }

    /// <summary>Webhooks on loopback: each path's last body; the path "refuse" answers 500.</summary>
    private sealed class HookListener : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentDictionary<string, int> _calls = new();
        private readonly string _base;

        public HookListener()
        {
            _base = $"http://127.0.0.1:{FreePort()}/hooks/";
            _listener.Prefixes.Add(_base);
            _listener.Start();
            _ = ServeAsync();
        }

        public ConcurrentDictionary<string, JsonElement> Received { get; } = new();

        public string Url(string name) => _base + name;

        public int Calls(string name) => _calls.GetValueOrDefault(name);

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var name = context.Request.Url!.Segments[^1];
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                _calls.AddOrUpdate(name, 1, (_, n) => n + 1);
                if (name == "refuse")
                {
                    context.Response.StatusCode = 500;
                }
                else
                {
                    Received[name] = JsonDocument.Parse(body).RootElement.Clone();
                    context.Response.StatusCode = 200;
                }

                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }

    /// <summary>A minimal SMTP receiver on loopback: enough of RFC 5321 for one client to hand over messages.</summary>
    private sealed class SmtpReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public SmtpReceiver()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }

        public ConcurrentQueue<(List<string> Recipients, string Data)> Messages { get; } = new();

        /// <summary>How many of the next senders are turned away with a temporary failure, as a busy server does.</summary>
        public int RefuseNext { get; set; }

        public int Connections => _connections;

        private int _connections;

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                _ = ServeAsync(client);
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 localhost ready");
            var recipients = new List<string>();
            while (await reader.ReadLineAsync() is { } line)
            {
                var command = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (command)
                {
                    case "EHLO" or "HELO":
                        await writer.WriteLineAsync("250 localhost");
                        break;
                    case "MAIL" when RefuseNext > 0:
                        RefuseNext--;
                        await writer.WriteLineAsync("451 4.3.0 Try again later");
                        break;
                    case "MAIL":
                        recipients = [];
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "RCPT":
                        recipients.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync() is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine).Append('\n');
                        }

                        Messages.Enqueue((recipients, data.ToString()));
                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 OK");
                        break;
                }
            }
        }

        public void Dispose() => _listener.Stop();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
