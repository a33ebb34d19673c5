using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary>
/// The simulator with its batch interface declared in the catalogue, and a second in-process provider
/// (<c>inhouse</c>, serving <c>local-llama</c>) without one, so a batch can mix both.
/// </summary>
public sealed class UpstreamBatchFactory(string? dataFolder = null, double batchSeconds = 0) : CostConsoleFactory(Settings(dataFolder, batchSeconds))
{
    public UpstreamBatchFactory() : this(null)
    {
    }

    private static Dictionary<string, string?> Settings(string? dataFolder, double batchSeconds)
    {
        // Configured lists replace the defaults whole, so both providers and every model are given in full.
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
            ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
            ["CostConsole:Catalogue:Providers:0:HasBatchApi"] = "true",
            ["CostConsole:Catalogue:Providers:1:Name"] = "inhouse",
            ["CostConsole:Catalogue:Providers:1:BaseUrl"] = "/sim/v1",
            ["CostConsole:Simulator:BatchSeconds"] = batchSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CostConsole:Batches:UpstreamPollSeconds"] = "0.05",
        };
        var models = new[]
        {
            ("gpt-4.1-nano", "simulator", "small", "0.10", "0.40", "0.35"),
            ("gpt-4.1-mini", "simulator", "medium", "0.40", "1.60", "0.65"),
            ("gpt-4.1", "simulator", "large", "2.00", "8.00", "0.9"),
            ("local-llama", "inhouse", "small", "0.05", "0.10", "0.5"),
        };
        for (var i = 0; i < models.Length; i++)
        {
            var (id, provider, tier, input, output, capability) = models[i];
            settings[$"CostConsole:Catalogue:Models:{i}:Id"] = id;
            settings[$"CostConsole:Catalogue:Models:{i}:Provider"] = provider;
            settings[$"CostConsole:Catalogue:Models:{i}:Tier"] = tier;
            settings[$"CostConsole:Catalogue:Models:{i}:InputPerMillion"] = input;
            settings[$"CostConsole:Catalogue:Models:{i}:OutputPerMillion"] = output;
            settings[$"CostConsole:Catalogue:Models:{i}:BatchDiscount"] = provider == "simulator" ? "0.5" : null;
            settings[$"CostConsole:Simulator:Models:{i}:Id"] = id;
            settings[$"CostConsole:Simulator:Models:{i}:Capability"] = capability;
        }

        if (dataFolder is not null)
        {
            settings["CostConsole:DataFolder"] = dataFolder;
        }

        return settings;
    }

    /// <summary>A client of the in-process simulator itself, as the console calls it.</summary>
    public HttpClient CreateSimulatorClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Services.GetRequiredService<SimulatorAccess>().ProcessKey);
        return client;
    }

    public async Task<List<UpstreamBatchEntity>> UpstreamBatchesAsync(string batchId)
    {
        var contexts = Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await db.UpstreamBatches.AsNoTracking().Where(u => u.BatchId == batchId).ToListAsync();
    }
}

public sealed class UpstreamBatchTests
{
    // USD per million tokens, input and output, from the seeded catalogue; batch lines pay half.
    private static readonly Dictionary<string, (decimal Input, decimal Output)> Prices = new()
    {
        ["gpt-4.1-nano"] = (0.10m, 0.40m),
        ["gpt-4.1-mini"] = (0.40m, 1.60m),
        ["gpt-4.1"] = (2.00m, 8.00m),
        ["local-llama"] = (0.05m, 0.10m),
    };

    [Fact]
    public async Task Lines_for_a_provider_with_a_batch_interface_go_there_as_one_batch_and_land_in_the_ledger_once_at_the_batch_price()
    {
        await using var factory = new UpstreamBatchFactory();
        using var client = factory.CreateApiClient();
        var content = File(5) + Line("request-6", "What is the capital of France?", "local-llama") + "\n";
        var id = await StartAsync(client, content);

        var batch = await WaitAsync(client, id, Finished);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(6, Count(batch, "completed"));
        var output = await DownloadLinesAsync(client, batch.GetProperty("output_file_id").GetString()!);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"request-{i}"), output.Select(l => l.GetProperty("custom_id").GetString()));

        // The simulator received one batch of the five lines routed to it; the in-house line was called directly.
        using var simulator = factory.CreateSimulatorClient();
        using var list = JsonDocument.Parse(await simulator.GetStringAsync("/sim/v1/batches", TestContext.Current.CancellationToken));
        var upstream = Assert.Single(list.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(5, upstream.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var stored = Assert.Single(await factory.UpstreamBatchesAsync(id));
        Assert.Equal(upstream.GetProperty("id").GetString(), stored.ExternalId);

        // The answers in the console's output file are the upstream batch's own.
        var upstreamText = await simulator.GetStringAsync($"/sim/v1/files/{upstream.GetProperty("output_file_id").GetString()}/content", TestContext.Current.CancellationToken);
        var upstreamOutput = upstreamText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(5, upstreamOutput.Count);
        var upstreamAnswers = upstreamOutput.Select(l => l.GetProperty("response").GetProperty("body").GetProperty("id").GetString()).Order().ToList();
        var answers = output.Take(5).Select(l => l.GetProperty("response").GetProperty("body").GetProperty("id").GetString()).Order().ToList();
        Assert.Equal(upstreamAnswers, answers);
        Assert.DoesNotContain(output[5].GetProperty("response").GetProperty("body").GetProperty("id").GetString(), upstreamAnswers);

        // Each line once in the ledger, under the batch, with the provider's usage, at half the interactive price.
        var ledger = (await factory.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(6, ledger.Count);
        Assert.All(ledger, r => Assert.Equal(0, r.Status));
        Assert.Equal(output.Select(l => l.GetProperty("response").GetProperty("request_id").GetString()).Order(), ledger.Select(r => r.RequestId).Order());
        foreach (var line in output)
        {
            var row = ledger.Single(r => r.RequestId == line.GetProperty("response").GetProperty("request_id").GetString());
            var usage = line.GetProperty("response").GetProperty("body").GetProperty("usage");
            Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), row.PromptTokens);
            Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), row.CompletionTokens);
            var model = row.Model!;
            var (input, outputPrice) = Prices[model[(model.IndexOf('/') + 1)..]];
            var half = line.GetProperty("custom_id").GetString() == "request-6" ? 1m : 0.5m;
            var expected = (row.PromptTokens * input + row.CompletionTokens * outputPrice) * 1000m * half;
            Assert.InRange(row.CostNanoUsd, (long)expected - 1, (long)expected + 1);
        }
    }

    [Fact]
    public async Task A_restart_while_the_upstream_batch_runs_polls_it_again_instead_of_sending_it_twice()
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-tests", "upstream-restart-" + Guid.NewGuid().ToString("N"));
        string id;
        string externalId;
        try
        {
            // The simulator takes ten minutes over the batch, so the console stops while it is still running upstream.
            await using (var first = new UpstreamBatchFactory(folder, batchSeconds: 600))
            {
                using var client = first.CreateApiClient();
                id = await StartAsync(client, File(4));
                var deadline = DateTime.UtcNow.AddSeconds(120);
                string? sent;
                while ((sent = (await first.UpstreamBatchesAsync(id)).SingleOrDefault()?.ExternalId) is null)
                {
                    Assert.True(DateTime.UtcNow < deadline, "The batch was not sent upstream in 120 s.");
                    await Task.Delay(50, TestContext.Current.CancellationToken);
                }

                externalId = sent;
                Assert.Equal("in_progress", (await GetAsync(client, id)).GetProperty("status").GetString());
                Assert.DoesNotContain(await first.LedgerAsync(), r => r.BatchId == id);
            }

            // Back up, the simulator now answers at once.
            await using var second = new UpstreamBatchFactory(folder, batchSeconds: 0);
            using var again = second.CreateApiClient();
            var batch = await WaitAsync(again, id, Finished);

            Assert.Equal("completed", batch.GetProperty("status").GetString());
            Assert.Equal(4, Count(batch, "completed"));
            Assert.Equal(externalId, Assert.Single(await second.UpstreamBatchesAsync(id)).ExternalId);
            using var simulator = second.CreateSimulatorClient();
            using var list = JsonDocument.Parse(await simulator.GetStringAsync("/sim/v1/batches", TestContext.Current.CancellationToken));
            Assert.Equal(externalId, Assert.Single(list.RootElement.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
            Assert.Equal(4, (await second.LedgerAsync()).Count(r => r.BatchId == id && r.Status == 0));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
