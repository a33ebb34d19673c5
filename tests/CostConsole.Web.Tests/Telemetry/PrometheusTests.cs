using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Providers;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Deployment;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Telemetry;

/// <summary>Prometheus scraping is on, and only 10.0.0.0/8 may scrape without a key: the tests' loopback address is not in it.</summary>
public sealed class PrometheusFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Telemetry:Prometheus:Enabled"] = "true",
    ["CostConsole:Telemetry:Prometheus:AllowedAddresses:0"] = "10.0.0.0/8",
});

/// <summary>Prometheus scraping is on and the loopback network may scrape without a key.</summary>
public sealed class LoopbackScrapeFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Telemetry:Prometheus:Enabled"] = "true",
    ["CostConsole:Telemetry:Prometheus:AllowedAddresses:0"] = "127.0.0.1",
});

/// <summary>A scrape address that is neither an address nor a network.</summary>
public sealed class BadScrapeAddressFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Telemetry:Prometheus:Enabled"] = "true",
    ["CostConsole:Telemetry:Prometheus:AllowedAddresses:0"] = "prometheus.internal",
});

/// <summary>The <c>/metrics</c> scrape endpoint as Prometheus (and the shipped Grafana dashboard) see it.</summary>
public sealed partial class PrometheusTests(PrometheusFactory factory) : IClassFixture<PrometheusFactory>
{
    private const string DashboardPath = "wwwroot/docs/grafana/costconsole.json";

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*,?)?\})? (?<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|Inf|NaN))( -?\d+)?$""")]
    private static partial Regex Sample();

    private async Task<string> CreateKeyAsync(bool reporting, CostConsoleFactory? on = null)
    {
        var form = new KeyForm { Name = "scraper-" + Guid.NewGuid().ToString("N")[..8], Team = "platform", Reporting = reporting, OrganisationWide = reporting };
        var (result, key) = await (on ?? factory).Services.GetRequiredService<KeyService>().CreateAsync(form, "test", TestContext.Current.CancellationToken);
        Assert.True(result.Saved, result.Summary);
        return key!.Secret;
    }

    private async Task<HttpResponseMessage> ChatAsync(string model, string prompt, CostConsoleFactory? on = null)
    {
        using var client = (on ?? factory).CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = prompt } } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    /// <summary>
    /// Scrapes until the text holds <paramref name="metric"/> (at most 10 s): the exporter answers scrapes that come
    /// within 300 ms of each other with the same text, which may predate the request just made.
    /// </summary>
    private async Task<string> ScrapeAsync(string metric, CostConsoleFactory? on = null)
    {
        using var client = (on ?? factory).CreateApiClient(await CreateKeyAsync(reporting: true, on));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (text.Contains("\n" + metric, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Every sample line of a scrape as (name, labels, value); fails on any line that is neither a sample nor a comment.</summary>
    private static List<(string Name, string Labels, double Value)> Parse(string text)
    {
        var samples = new List<(string, string, double)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"Not a Prometheus sample line: {line}");
            var value = match.Groups["value"].Value;
            samples.Add((match.Groups["name"].Value, match.Groups["labels"].Value,
                value switch { "+Inf" or "Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, _ => double.Parse(value, CultureInfo.InvariantCulture) }));
        }

        return samples;
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return error.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task The_scrape_parses_line_by_line_and_carries_the_cost_of_a_request_just_answered()
    {
        using var chat = await ChatAsync("auto", "Where is my order? Tracking please.");
        var id = chat.Headers.GetValues("x-costconsole-request-id").Single();
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == id);

        var samples = Parse(await ScrapeAsync("costconsole_cost_USD_total"));

        var cost = samples.Where(s => s.Name == "costconsole_cost_USD_total").ToList();
        Assert.NotEmpty(cost);
        Assert.Contains(cost, s => s.Labels.Contains($"costconsole_tier=\"{row.Tier}\"", StringComparison.Ordinal) && s.Labels.Contains("costconsole_status=\"answered\"", StringComparison.Ordinal));
        Assert.True(cost.Sum(s => s.Value) >= (double)Money.FromNanoUsd(row.CostNanoUsd) && row.CostNanoUsd > 0);
        Assert.Contains(samples, s => s.Name == "gen_ai_client_token_usage_bucket" && s.Labels.Contains("gen_ai_token_type=\"input\"", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "costconsole_requests_total" && s.Value >= 1);
    }

    [Fact]
    public async Task The_endpoint_refuses_a_caller_without_a_key_and_an_inference_key_with_json_errors_and_answers_a_reporting_key()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = factory.CreateApiClient(key: null);
        using var inference = factory.CreateApiClient(await CreateKeyAsync(reporting: false));
        using var reporting = factory.CreateApiClient(await CreateKeyAsync(reporting: true));

        using var refused = await anonymous.GetAsync("/metrics", ct);
        using var forbidden = await inference.GetAsync("/metrics", ct);
        using var allowed = await reporting.GetAsync("/metrics", ct);

        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), (refused.StatusCode, await ErrorCodeAsync(refused)));
        Assert.Equal((HttpStatusCode.Forbidden, "insufficient_scope"), (forbidden.StatusCode, await ErrorCodeAsync(forbidden)));
        Assert.Contains("reporting scope", await forbidden.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task An_address_allowed_to_scrape_needs_no_key_and_the_endpoint_does_not_exist_until_enabled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var loopback = new LoopbackScrapeFactory())
        {
            using var client = loopback.CreateApiClient(key: null);
            using var response = await client.GetAsync("/metrics", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var plain = new CostConsoleFactory();
        using var withKey = plain.CreateApiClient();
        using var missing = await withKey.GetAsync("/metrics", ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_allowed_address_that_is_not_an_address_stops_the_console_at_start_and_names_the_section()
    {
        await using var bad = new BadScrapeAddressFactory();

        var error = Assert.ThrowsAny<Exception>(() => bad.BaseAddress);

        Assert.Contains("CostConsole:Telemetry", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_grafana_dashboards_queries_name_only_metrics_the_endpoint_exports()
    {
        var ct = TestContext.Current.CancellationToken;

        // A console of its own, so the counters hold exactly this traffic, whatever the class's other tests did before.
        await using var own = new PrometheusFactory();

        // Traffic of every kind the dashboard charts: an answer, an escalation, a fallback, and a budget to watch.
        var budget = await own.Services.GetRequiredService<BudgetService>().SaveAsync(
            new BudgetForm { Name = "Monthly spend", Scope = BudgetScope.Global, Period = BudgetPeriod.Monthly, LimitUsd = 1000m }, "test", ct);
        Assert.True(budget.Saved, budget.Summary);
        (await ChatAsync("auto", "Where is my order? Tracking please.", own)).Dispose();
        (await ChatAsync("small", "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, "
            + "forecast the revenue impact step by step and recommend an action plan.", own)).Dispose();
        var original = own.Simulator.Find("gpt-4.1-nano")!;
        own.Services.GetRequiredService<DeploymentResilience>().Reset();
        own.Simulator.Update(original with { ErrorRate = 1 });
        try
        {
            (await ChatAsync("auto", "Where is my order? Tracking please.", own)).Dispose();
        }
        finally
        {
            own.Simulator.Update(original);
        }

        var exported = Parse(await ScrapeAsync("costconsole_fallbacks_total", own)).Select(s => s.Name).ToHashSet();
        var dashboard = JsonDocument.Parse(Shell.Read(DashboardPath));
        var queries = Expressions(dashboard.RootElement).ToList();

        Assert.True(queries.Count >= 8, $"The dashboard has {queries.Count} queries.");
        var named = queries.SelectMany(MetricNames).ToHashSet();
        Assert.True(!named.Except(exported).Any(), $"Named by the dashboard but not exported: {string.Join(", ", named.Except(exported))}. Exported: {string.Join(", ", exported.Order())}");
        foreach (var metric in new[] { "costconsole_cost_USD_total", "costconsole_savings_USD", "costconsole_requests_total", "gen_ai_client_token_usage_sum",
            "costconsole_request_duration_seconds_bucket", "costconsole_escalations_total", "costconsole_fallbacks_total", "costconsole_ledger_queue_depth", "costconsole_budget_remaining_USD" })
        {
            Assert.Contains(metric, named);
        }
    }

    /// <summary>Every <c>expr</c> of every panel's targets, nested rows included.</summary>
    private static IEnumerable<string> Expressions(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        yield return property.Value.GetString()!;
                    }
                    else
                    {
                        foreach (var expr in Expressions(property.Value))
                        {
                            yield return expr;
                        }
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var expr in Expressions(item))
                    {
                        yield return expr;
                    }
                }

                break;
        }
    }

    private static readonly HashSet<string> PromQlWords = ["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "inf", "nan"];

    /// <summary>The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or durations.</summary>
    private static IEnumerable<string> MetricNames(string expr)
    {
        var stripped = Regex.Replace(expr, "\"(\\\\.|[^\"\\\\])*\"", "\"\"");           // strings
        stripped = Regex.Replace(stripped, @"\{[^}]*\}", "");                            // label matchers
        stripped = Regex.Replace(stripped, @"\[[^\]]*\]", "");                           // ranges
        stripped = Regex.Replace(stripped, @"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "");  // grouping labels
        foreach (Match match in Regex.Matches(stripped, @"(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()"))
        {
            var name = match.Groups[1].Value;
            if (!PromQlWords.Contains(name.ToLowerInvariant()))
            {
                yield return name;
            }
        }
    }
}
