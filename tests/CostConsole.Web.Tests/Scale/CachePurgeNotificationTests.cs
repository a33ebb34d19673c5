using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Routing.Caching;
using CostConsole.Web.Caching;
using CostConsole.Web.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// A purge on one instance reaches the cached answers of the others through the Redis change notifications (the version
/// poll, the safety net, is set to an hour so only a notification can carry it).
/// </summary>
public sealed class CachePurgeNotificationTests : IAsyncLifetime
{
    private const string Question = "How do I download last year's invoices as a single archive?";

    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static async Task<string> AskAsync(HttpClient client, CancellationToken ct, string user = "customer-1")
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", user, messages = new[] { new { role = "user", content = Question } } }, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-cache").Single();
    }

    private static async Task<bool> HeldAsync(ClusterHost host)
    {
        var cache = host.Services.GetRequiredService<ResponseCache>();
        return cache.Entries().Any(e => e.Prompt == Question);
    }

    [Theory]
    [InlineData(CachePurgeKind.All)]
    [InlineData(CachePurgeKind.Namespace)]
    public async Task An_answer_cached_on_the_other_instance_is_gone_there_and_from_the_database_after_a_purge_here(CachePurgeKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new()
        {
            ["CostConsole:Redis:VersionPollSeconds"] = "3600",
            ["CostConsole:Cache:Enabled"] = "true",
        });
        using var onB = cluster.B.CreateApiClient();
        Assert.Equal("miss", await AskAsync(onB, ct));
        Assert.Equal("exact", await AskAsync(onB, ct));
        var entry = cluster.B.Services.GetRequiredService<ResponseCache>().Entries().Single(e => e.Prompt == Question);
        await cluster.B.Services.GetRequiredService<CacheEntryStore>().FlushAsync();
        Assert.False(await HeldAsync(cluster.A));

        using (var scope = cluster.A.Services.CreateScope())
        {
            var service = scope.ServiceProvider.GetRequiredService<CacheService>();
            var purged = kind == CachePurgeKind.All ? await service.PurgeAllAsync("alice") : await service.PurgeNamespaceAsync(entry.Namespace, "alice");
            Assert.Equal(1, purged);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await HeldAsync(cluster.B) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        Assert.False(await HeldAsync(cluster.B));
        Assert.Equal("miss", await AskAsync(onB, ct));
        await using var db = await cluster.A.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct);
        Assert.False(await db.CacheEntries.AnyAsync(e => e.Id == entry.Id, ct));
    }

    [Theory]
    [InlineData(ErasureSubject.Key)]
    [InlineData(ErasureSubject.User)]
    public async Task An_answer_cached_on_the_other_instance_is_gone_there_and_from_the_database_after_an_erasure_here(ErasureSubject subject)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new()
        {
            ["CostConsole:Redis:VersionPollSeconds"] = "3600",
            ["CostConsole:Cache:Enabled"] = "true",
        });
        using var onB = cluster.B.CreateApiClient();
        Assert.Equal("miss", await AskAsync(onB, ct, "customer-4711"));
        Assert.Equal("exact", await AskAsync(onB, ct, "customer-4711"));
        var entry = cluster.B.Services.GetRequiredService<ResponseCache>().Entries().Single(e => e.Prompt == Question);
        await cluster.B.Services.GetRequiredService<CacheEntryStore>().FlushAsync();
        var factory = cluster.A.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();

        // The hit's ledger row names the entry that served it: what an end user's erasure finds.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await ServedAsync(factory, entry.Id, ct) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        Assert.False(await HeldAsync(cluster.A));
        var value = subject == ErasureSubject.Key ? entry.Namespace["key:".Length..] : "customer-4711";
        var result = await cluster.A.Services.GetRequiredService<Erasure>().EraseAsync(subject, value, "alice", ct);
        Assert.Equal(1, result.CacheEntries);

        deadline = DateTime.UtcNow.AddSeconds(10);
        while (await HeldAsync(cluster.B) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        Assert.False(await HeldAsync(cluster.B));
        Assert.Equal("miss", await AskAsync(onB, ct, "customer-4711"));
        await using var db = await factory.CreateDbContextAsync(ct);
        Assert.False(await db.CacheEntries.AnyAsync(e => e.Id == entry.Id, ct));
    }

    private static async Task<bool> ServedAsync(IDbContextFactory<CostConsoleDbContext> factory, string entryId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.RequestLog.AnyAsync(r => r.CacheEntryId == entryId && r.EndUser == "customer-4711", ct);
    }
}
