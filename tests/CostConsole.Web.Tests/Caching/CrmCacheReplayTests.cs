using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Routing.Caching;
using CostConsole.Web.Traffic;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

/// <summary>
/// The shipped sample CRM workload (<c>Traffic/sample-crm-workload.json</c>) replayed with the cache on, through
/// /v1/chat/completions with MiniLM, the content gate and the simulator: 1,000 requests drawn by weight (seed 17),
/// all from one API key so every answer shares one namespace (the hardest case for a wrong hit). A hit is wrong when the
/// entry that served it was stored for another prompt of the workload: each prompt of the workload expects its own
/// answer (they differ in order numbers, names, companies, products or amounts). Prints the hit rate, the cost saved
/// and the wrong hits; the figures go in the README.
/// </summary>
public sealed class CrmCacheReplayTests
{
    private const int Requests = 1_000;

    [Fact]
    public async Task The_sample_crm_workload_replayed_with_the_cache_on_saves_money_without_a_single_wrong_hit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new CacheFactory();
        using var client = factory.CreateApiClient();
        var workload = SampleWorkload.Load();
        var random = new Random(17);
        var cache = factory.Services.GetRequiredService<ResponseCache>();
        var storedFor = new Dictionary<string, string>(StringComparer.Ordinal);
        var wrong = new List<string>();
        var levels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Requests; i++)
        {
            var prompt = workload.Draw(random).Prompt.Prompt;
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var level = response.Headers.TryGetValues("x-costconsole-cache", out var values) ? values.Single() : "not looked up";
            levels[level] = levels.GetValueOrDefault(level) + 1;
            if (response.Headers.TryGetValues("x-costconsole-cache-entry", out var entries))
            {
                var id = entries.Single();
                var stored = storedFor.TryGetValue(id, out var known) ? known : cache.Entries().Single(e => e.Id == id).Prompt;
                storedFor[id] = stored;
                if (stored != prompt)
                {
                    wrong.Add($"\"{prompt}\" served the answer to \"{stored}\"");
                }
            }
        }

        var ledger = await factory.LedgerAsync();
        var hits = ledger.Count(r => r.CacheLevel is "exact" or "semantic");
        var lookups = hits + ledger.Count(r => r.CacheLevel == "miss");
        var spent = Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd));
        var saved = Money.FromNanoUsd(ledger.Sum(r => r.CacheAvoidedCostNanoUsd));
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            Sample CRM workload, {Requests:N0} requests (seed 17), cache on, one key:
              exact hits {ledger.Count(r => r.CacheLevel == "exact"):N0}, semantic hits {ledger.Count(r => r.CacheLevel == "semantic"):N0}, misses {lookups - hits:N0}, left out by policy {ledger.Count(r => r.CacheLevel == "bypass"):N0}, not looked up {ledger.Count(r => r.CacheLevel is null):N0}
              hit rate {(double)hits / lookups:P1} of lookups, {(double)hits / Requests:P1} of requests
              spent ${spent:0.0000}, saved by cache ${saved:0.0000} ({saved / (spent + saved):P1} of what the run would have cost without it)
              wrong hits {wrong.Count:N0}
            """);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "cache-crm-replay.txt"), report + string.Join("\n", wrong), ct);

        Assert.Empty(wrong);
        Assert.True(hits > 0, report);
        Assert.True(saved > 0, report);
        Assert.Equal(Requests, levels.Values.Sum());
    }
}
