using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Budgets;

/// <summary>A webhook receiver on loopback that refuses its first delivery, to prove retries.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private int _calls;

    public WebhookReceiver()
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/hooks/budget/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    /// <summary>Payloads accepted (after the refused first attempt).</summary>
    public ConcurrentQueue<JsonElement> Delivered { get; } = new();

    public int Calls => Volatile.Read(ref _calls);

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

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref _calls) == 1)
            {
                context.Response.StatusCode = 503;
            }
            else
            {
                Delivered.Enqueue(JsonDocument.Parse(body).RootElement.Clone());
                context.Response.StatusCode = 204;
            }

            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _listener.Close();
}

public sealed class AlertConsoleFactory() : CostConsoleFactory(new Dictionary<string, string?>
{
    ["CostConsole:Budgets:WebhookRetrySeconds"] = "0.05",
    ["CostConsole:Budgets:ConversationTokenAlert"] = "300",
});

public sealed class BudgetAlertTests(AlertConsoleFactory factory) : IClassFixture<AlertConsoleFactory>
{
    private static object Body => new { model = "gpt-4.1", max_tokens = 100, messages = new[] { new { role = "user", content = "Summarise the customer's last three orders." } } };

    [Fact]
    public async Task Crossing_thresholds_alerts_once_each_in_the_console_and_on_the_webhook_which_is_retried()
    {
        var ct = TestContext.Current.CancellationToken;
        using var receiver = new WebhookReceiver();
        var alerts = factory.Services.GetRequiredService<AlertCenter>();
        var raised = new ConcurrentQueue<ConsoleAlert>();
        alerts.Raised += raised.Enqueue;

        var (created, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "alerting", Team = "alerts" }, "test", ct);
        Assert.True(created.Saved);
        var saved = await factory.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm
        {
            Name = "Alerting team",
            Scope = BudgetScope.Team,
            ScopeValue = "alerts",
            Period = BudgetPeriod.Monthly,
            LimitUsd = 0.004m, // about five requests of 0.00084
            Thresholds = "50,80",
            WebhookUrl = receiver.Url,
        }, "test", ct);
        Assert.True(saved.Saved, saved.Summary);

        using var client = factory.CreateApiClient(key!.Secret);
        for (var i = 0; i < 8; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body, ct);
        }

        Assert.Equal([50, 80], raised.Where(a => a.Kind == ConsoleAlert.BudgetThreshold).Select(a => a.Threshold).Order());
        Assert.Single(raised, a => a.Kind == ConsoleAlert.BudgetLimitReached);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (receiver.Delivered.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }

        Assert.Equal(4, receiver.Calls); // the first refused and retried, then one each
        var kinds = receiver.Delivered.Select(d => (d.GetProperty("kind").GetString(), d.GetProperty("threshold_percent").GetInt32())).Order().ToList();
        Assert.Equal([("budget_limit_reached", 100), ("budget_threshold", 50), ("budget_threshold", 80)], kinds);
        Assert.All(receiver.Delivered, d => Assert.Equal("Alerting team", d.GetProperty("budget").GetString()));

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct);
        var stored = await db.BudgetAlerts.Where(a => a.BudgetId == saved.Id).ToListAsync(ct);
        Assert.Equal(3, stored.Count);
        while (stored.Any(a => a.Webhook != "delivered") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
            stored = await db.BudgetAlerts.AsNoTracking().Where(a => a.BudgetId == saved.Id).ToListAsync(ct);
        }

        Assert.All(stored, a => Assert.Equal("delivered", a.Webhook));

        // After a restart the thresholds already crossed this period stay quiet.
        await factory.Services.GetRequiredService<BudgetGuard>().ReloadAsync(ct);
        raised.Clear();
        using (var again = await client.PostAsJsonAsync("/v1/chat/completions", Body, ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }

        Assert.Empty(raised);
    }

    [Fact]
    public async Task A_conversation_past_its_token_ceiling_raises_one_alert()
    {
        var ct = TestContext.Current.CancellationToken;
        var raised = new ConcurrentQueue<ConsoleAlert>();
        factory.Services.GetRequiredService<AlertCenter>().Raised += raised.Enqueue;
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("x-costconsole-conversation", "agent-loop-7");

        for (var i = 0; i < 6; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var alert = Assert.Single(raised, a => a.ConversationId == "agent-loop-7");
        Assert.Equal(ConsoleAlert.ConversationTokens, alert.Kind);
        Assert.Contains("past the alert at 300", alert.Message, StringComparison.Ordinal);
    }
}
