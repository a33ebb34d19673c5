using System.Net;
using System.Net.Http.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Keys;
using CostConsole.Web.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// Changes made on one instance reach the others through Redis notifications. The version poll (the safety net) is
/// set to an hour here, so only a notification can carry a change.
/// </summary>
public sealed class ChangeNotificationTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private Task<Cluster> StartAsync() => Cluster.StartAsync(_redis, settings: new() { ["CostConsole:Redis:VersionPollSeconds"] = "3600" });

    private static object Body(string prompt) => new { model = "auto", max_tokens = 20, messages = new[] { new { role = "user", content = prompt } } };

    /// <summary>Sends <paramref name="send"/> until <paramref name="done"/> holds, for up to ten seconds; returns the last answer.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> send, Func<T, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        T last;
        while (!done(last = await send()) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        return last;
    }

    [Fact]
    public async Task A_rule_set_published_on_one_instance_decides_the_next_requests_on_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartAsync();
        using var onB = cluster.B.CreateApiClient();
        const string Prompt = "Zebracorn inventory: how many units are left in the north warehouse?";

        async Task<string?> RuleOnBAsync()
        {
            using var response = await onB.PostAsJsonAsync("/v1/chat/completions", Body(Prompt), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("x-costconsole-rule", out var rule) ? Uri.UnescapeDataString(rule.Single()) : null;
        }

        Assert.NotEqual("zebracorn", await RuleOnBAsync());

        var rules = cluster.A.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("alice", ct);
        var zebracorn = new RuleDefinition { Name = "zebracorn", Conditions = [new KeywordCondition(KeywordMatch.Any, ["zebracorn"])], Action = RuleAction.ToTier("small") };
        var saved = await rules.SaveDraftAsync(draft.Definition with { Rules = [zebracorn, .. draft.Definition.Rules] }, draft.ConcurrencyStamp, "alice", ct);
        Assert.True(saved.Done, string.Join(" ", saved.Errors));
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "zebracorn to small", "alice", ct);
        Assert.True(published.Done, string.Join(" ", published.Errors));

        Assert.Equal("zebracorn", await UntilAsync(RuleOnBAsync, rule => rule == "zebracorn", ct));
        Assert.Equal(cluster.A.Services.GetRequiredService<RoutingState>().Current.RuleSetVersion, cluster.B.Services.GetRequiredService<RoutingState>().Current.RuleSetVersion);
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartAsync();
        var service = cluster.A.Services.GetRequiredService<KeyService>();
        var (created, key) = await service.CreateAsync(new KeyForm { Name = "short-lived", Team = "ops" }, "test", ct);
        Assert.True(created.Saved, created.Summary);
        using var onB = cluster.B.CreateApiClient(key!.Secret);

        async Task<HttpStatusCode> SendOnBAsync()
        {
            using var response = await onB.PostAsJsonAsync("/v1/chat/completions", Body("Say hello."), ct);
            return response.StatusCode;
        }

        // Created on A, known to B.
        Assert.Equal(HttpStatusCode.OK, await UntilAsync(SendOnBAsync, status => status == HttpStatusCode.OK, ct));

        Assert.True(await service.RevokeAsync(key.Id, "test", ct));
        Assert.Equal(HttpStatusCode.Unauthorized, await UntilAsync(SendOnBAsync, status => status == HttpStatusCode.Unauthorized, ct));
    }
}
