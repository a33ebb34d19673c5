using System.Collections.Frozen;
using CostConsole.Data;
using CostConsole.Data.Keys;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Api;

/// <summary>The active API keys, by hash, held in memory so authenticating a request touches no database.</summary>
internal sealed class ApiKeyDirectory(IDbContextFactory<CostConsoleDbContext> factory)
{
    private FrozenDictionary<string, ApiKeyInfo> _keys = FrozenDictionary<string, ApiKeyInfo>.Empty;

    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        Volatile.Write(ref _keys, await ApiKeySecrets.LoadActiveAsync(db, cancellationToken));
    }

    /// <summary>Finds the key of an <c>Authorization: Bearer …</c> header.</summary>
    public ApiKeyInfo? Authenticate(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var secret = authorization.AsSpan(7).Trim();
        return secret.IsEmpty ? null : Volatile.Read(ref _keys).GetValueOrDefault(ApiKeySecrets.Hash(secret.ToString()));
    }
}
