using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Keys;

public sealed record ApiKeyInfo(long Id, string Name, string? Team);

public static class ApiKeySecrets
{
    /// <summary>SHA-256 hex of a secret. Keys are long random strings, so a fast hash is enough; no salt is needed.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Prefix(string secret) => secret.Length <= 8 ? secret : secret[..8];

    /// <summary>The live keys, by hash, for authenticating without touching the database per request.</summary>
    public static async Task<FrozenDictionary<string, ApiKeyInfo>> LoadActiveAsync(CostConsoleDbContext db, CancellationToken cancellationToken = default)
    {
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).ToListAsync(cancellationToken);
        return keys.ToFrozenDictionary(k => k.Hash, k => new ApiKeyInfo(k.Id, k.Name, k.Team), StringComparer.Ordinal);
    }
}
