using System.Net;
using CostConsole.Data.Metrics;
using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Traffic;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Metrics;

public sealed class ExportAndTrafficTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task The_csv_export_has_a_line_per_bucket_tier_and_model_that_adds_up_to_the_ledger()
    {
        await TrafficSender.SendMixAsync(factory, rounds: 2);
        await factory.Services.GetRequiredService<RollupStore>().FlushAsync();
        using var client = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var response = await client.GetAsync("/api/metrics/export.csv?range=24h");
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("bucket_start_utc,tier,model,requests,", lines[0], StringComparison.Ordinal);
        var requests = lines.Skip(1).Sum(l => int.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((await factory.LedgerAsync()).Count, requests);
        Assert.Contains(lines, l => l.Contains(",small,simulator/gpt-4.1-nano,", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("range=forever", "Unknown range 'forever'")]
    [InlineData("range=custom&from=2026-03-10&to=2026-03-01", "ends (2026-03-01) before it starts (2026-03-10)")]
    [InlineData("range=custom&from=10/03/2026&to=2026-03-12", "'10/03/2026' is not a date")]
    [InlineData("range=30d&tier=platinum", "Unknown tier 'platinum'")]
    [InlineData("range=30d&model=gpt-9", "Unknown model 'gpt-9'")]
    [InlineData("range=30d&key=abc", "'abc' is not an API key id")]
    public async Task A_bad_range_or_filter_is_refused_with_the_reason(string query, string reason)
    {
        using var client = await factory.CreateConsoleClientAsync(Roles.FinOps);

        using var response = await client.GetAsync("/api/metrics/export.csv?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(reason, error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 10, "The rate must be between")]
    [InlineData(5000, 10, "The rate must be between")]
    [InlineData(10, 0, "The duration must be between")]
    public void The_generator_refuses_a_rate_or_duration_out_of_range(double rate, int seconds, string reason)
    {
        var generator = factory.Services.GetRequiredService<TrafficGenerator>();
        var current = generator.Current;

        var refused = Assert.Throws<TrafficInputException>(() => generator.Start(rate, TimeSpan.FromSeconds(seconds)));

        Assert.StartsWith(reason, refused.Message, StringComparison.Ordinal);
        Assert.Same(current, generator.Current);
    }

    [Fact]
    public async Task The_generator_sends_the_sample_workload_through_the_router_under_the_sample_keys()
    {
        var generator = factory.Services.GetRequiredService<TrafficGenerator>();
        var before = (await factory.LedgerAsync()).Count;

        var run = generator.Start(40, TimeSpan.FromSeconds(1));
        await TrafficSender.WaitUntilAsync(() => Task.FromResult(!run.Running), "the run to finish");

        Assert.Equal(40, run.Progress.Sent);
        Assert.Equal(40, run.Progress.Answered);
        var rows = (await factory.LedgerAsync()).Skip(before).ToList();
        Assert.Equal(40, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r.ApiKeyId));
        Assert.Contains(rows, r => r.Rule == "faq-and-status");
        Assert.Equal(40, rows.Count(r => r.Prompt is not null && generator.Workload.Prompts.Any(p => r.Prompt.Contains(p.Prompt, StringComparison.Ordinal))));
    }
}
