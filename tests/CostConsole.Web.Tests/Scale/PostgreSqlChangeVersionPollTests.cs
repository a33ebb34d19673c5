namespace CostConsole.Web.Tests.Scale;

/// <summary>The database safety net of the change notifications on PostgreSQL: two instances over one database and one Redis.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlChangeVersionPollTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_rule_set_published_while_redis_is_down_reaches_the_other_instance_through_postgresql()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = postgres.NewDatabaseName("changes");
        await postgres.CreateDatabaseAsync(database);
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Redis:Configuration"] = _redis.Configuration,
            ["CostConsole:Redis:VersionPollSeconds"] = "0.2",
        };

        // One after the other: the first migrates and seeds the database.
        await using var a = new Instance(postgres, database, settings);
        _ = a.BaseAddress;
        await using var b = new Instance(postgres, database, settings);
        _ = b.BaseAddress;
        await ChangeVersionPollTests.UntilAsync(() => Task.FromResult(ChangeVersionPollTests.Changes(b).Polls), polls => polls > 0, ct);

        await ChangeVersionPollTests.PublishWhileRedisIsDownAsync(a, b, _redis, ct);
    }

    private sealed class Instance(PostgresServer server, string database, Dictionary<string, string?> settings)
        : PostgresConsoleFactory(server, database, settings);
}
