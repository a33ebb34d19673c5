using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using CostConsole.Data;
using CostConsole.Data.Keys;
using CostConsole.Data.Catalogue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>
/// The active API keys, by hash, held in memory so authenticating a request touches no database. Creating or
/// revoking a key reloads it, so a revoked key is refused from the next request on. Last-used times are kept here
/// and written in batches.
/// </summary>
internal sealed class ApiKeyDirectory(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time, IOptions<CostConsoleOptions>? options = null)
{
    private Keys _keys = new(FrozenDictionary<string, ApiKeyInfo>.Empty, FrozenDictionary<long, ApiKeyInfo>.Empty);

    // One slot per key, written without a lock on every request (last writer wins); the flusher writes what changed.
    private readonly ConcurrentDictionary<long, StrongBox<long>> _lastUsed = new();
    private readonly ConcurrentDictionary<long, long> _flushed = new();

    /// <summary>Raised after the keys were reloaded (a key was created, edited or revoked), on the thread that reloaded them.</summary>
    public event Action? Reloaded;

    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var byHash = await ApiKeySecrets.LoadActiveAsync(db, cancellationToken);
        if (options?.Value.Privacy is { Teams.Count: > 0 } privacy)
        {
            // A key without its own prompt storage takes its team's, when the team has one.
            byHash = byHash.ToFrozenDictionary(
                k => k.Key,
                k => k.Value.PromptStorage is null && privacy.TeamPolicy(k.Value.Team) is { } team ? k.Value with { PromptStorage = team } : k.Value,
                StringComparer.Ordinal);
        }

        foreach (var key in byHash.Values)
        {
            _lastUsed.GetOrAdd(key.Id, static _ => new StrongBox<long>());
        }

        Volatile.Write(ref _keys, new Keys(byHash, byHash.Values.ToFrozenDictionary(k => k.Id)));
        Reloaded?.Invoke();
    }

    /// <summary>Finds the key of an <c>Authorization: Bearer …</c> header and notes its use.</summary>
    public ApiKeyInfo? Authenticate(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var secret = authorization.AsSpan(7).Trim();
        if (secret.IsEmpty || Volatile.Read(ref _keys).ByHash.GetValueOrDefault(ApiKeySecrets.Hash(secret.ToString())) is not { } key)
        {
            return null;
        }

        if (_lastUsed.TryGetValue(key.Id, out var slot))
        {
            Volatile.Write(ref slot.Value, time.GetUtcNow().ToUnixTimeMilliseconds());
        }

        return key;
    }

    /// <summary>An active key by id; null once it is revoked.</summary>
    public ApiKeyInfo? Find(long id) => Volatile.Read(ref _keys).ById.GetValueOrDefault(id);

    /// <summary>Last use seen since the last flush, which the database does not have yet.</summary>
    public DateTimeOffset? LastUsed(long id) =>
        _lastUsed.TryGetValue(id, out var slot) && Volatile.Read(ref slot.Value) is > 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>Writes the last-used times noted since the previous flush.</summary>
    public async Task FlushLastUsedAsync(CancellationToken cancellationToken = default)
    {
        var pending = new List<(long Id, long Ms)>();
        foreach (var (id, slot) in _lastUsed)
        {
            var ms = Volatile.Read(ref slot.Value);
            if (ms > _flushed.GetValueOrDefault(id))
            {
                pending.Add((id, ms));
            }
        }

        if (pending.Count == 0)
        {
            return;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        foreach (var (id, ms) in pending)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            await db.ApiKeys.Where(k => k.Id == id && (k.LastUsedAt == null || k.LastUsedAt < at))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, at), cancellationToken);
            _flushed[id] = ms;
        }
    }

    private sealed record Keys(FrozenDictionary<string, ApiKeyInfo> ByHash, FrozenDictionary<long, ApiKeyInfo> ById);
}

/// <summary>Writes API keys' last-used times every few seconds, and once more at shutdown.</summary>
internal sealed class KeyUsageFlusher(ApiKeyDirectory keys, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.FlushLastUsedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            KeyLog.LastUsedNotWritten(logger, ex);
        }
    }
}

internal static partial class KeyLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "API keys' last-used times could not be written; they are kept for the next try.")]
    public static partial void LastUsedNotWritten(ILogger logger, Exception exception);
}
