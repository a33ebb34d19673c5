using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class AlertHistoryFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_rule_that_fires_posts_a_slack_message_and_its_episode_appears_in_the_history_with_the_delivery_on_a_laptop_and_a_phone()
    {
        using var slack = new SlackHook();
        var console = await browser.OpenAsync("/alerts");
        await console.TestId("rule-new").ClickAsync();
        await console.Input("rule-name").FillAsync("Any spend");
        await console.Input("rule-threshold").FillAsync("0");
        await console.Input("rule-threshold").PressAsync("Tab");
        await console.Input("rule-webhook").FillAsync(slack.Url);
        await console.Input("rule-webhook").PressAsync("Tab");
        await console.Page.Locator(".mud-select").Filter(new() { HasTextString = "Webhook payload" }).First.ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "Slack" }).ClickAsync();
        await ConsoleBrowser.PhoneAsync(console.Page);
        await console.ScreenshotAsync("alert-rules-form-mobile");
        var formOverflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(formOverflow <= 0, $"The rule form is {formOverflow} px wider than a 390 px phone.");
        await ConsoleBrowser.DesktopAsync(console.Page);
        await console.TestId("rule-save").ClickAsync();
        await Expect(console.TestId("rule-row-condition")).ToHaveTextAsync("Spend per hour of all traffic above $0 over 60 min");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using (var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gpt-4.1",
            max_tokens = 100,
            messages = new[] { new { role = "user", content = "Summarise the customer's last three orders." } },
        }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The rules are evaluated once a minute over whole minutes: the request counts at the first evaluation after its minute ends.
        await console.TestId("rule-history").ClickAsync();
        await console.Page.WaitForURLAsync("**/alerts/history?rule=*");
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (await console.TestId("history-delivery").CountAsync() == 0
            || await console.TestId("history-delivery").First.TextContentAsync() is not { } text || !text.Contains("delivered", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "The rule did not fire and deliver within three minutes.");
            await console.Page.WaitForTimeoutAsync(3_000);
            await console.Page.ReloadAsync();
            await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        }

        await Expect(console.TestId("history-row-rule")).ToHaveTextAsync("Any spend");
        await Expect(console.TestId("history-row-state")).ToHaveTextAsync("Firing");
        await Expect(console.TestId("history-delivery")).ToHaveTextAsync("Firing → Slack webhook: delivered");
        var message = Assert.Single(slack.Received);
        Assert.Equal("Alert fired: Any spend", message.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
        Assert.StartsWith("Alert fired: Any spend. Any spend: Spend per hour of all traffic is $", message.GetProperty("text").GetString(), StringComparison.Ordinal);
        await console.ScreenshotAsync("alert-history-desktop");

        await ConsoleBrowser.PhoneAsync(console.Page);

        await console.ScreenshotAsync("alert-history-mobile");
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The alert history is {overflow} px wider than a 390 px phone.");

        // The bell links to the history too.
        await ConsoleBrowser.DesktopAsync(console.Page);
        await console.Page.GotoAsync(new Uri(browser.BaseAddress, "/alerts").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await console.ScreenshotAsync("alert-rules-desktop-firing");
        await console.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Alerts" }).ClickAsync();
        await console.TestId("alert-history-link").ClickAsync();
        await console.Page.WaitForURLAsync("**/alerts/history");
        await Expect(console.TestId("history-row-rule")).ToHaveTextAsync("Any spend");
        Assert.True(console.Errors.Count == 0, string.Join(Environment.NewLine, console.Errors));
    }

    /// <summary>A Slack incoming webhook stand-in on loopback.</summary>
    private sealed class SlackHook : IDisposable
    {
        private readonly HttpListener _listener = new();

        public SlackHook()
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/services/T0/B0/x/";
            }

            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }

        public ConcurrentQueue<JsonElement> Received { get; } = new();

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
                Received.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
