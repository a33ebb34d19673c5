using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Keys;

/// <summary>An active API key as the request path sees it: who it belongs to and what it may do.</summary>
/// <param name="AllowedTiers">Tiers the key may be routed to; empty allows all.</param>
/// <param name="AllowedModels">Model references (id or provider/id) the key may reach; empty allows all.</param>
public sealed record ApiKeyInfo(long Id, string Name, string? Team)
{
    public FrozenSet<string> AllowedTiers { get; init; } = FrozenSet<string>.Empty;

    public FrozenSet<string> AllowedModels { get; init; } = FrozenSet<string>.Empty;

    public int? RequestsPerMinute { get; init; }

    public long? TokensPerMinute { get; init; }

    public KeyScopes Scopes { get; init; } = KeyScopes.Inference;

    /// <summary>True when the key may do everything <paramref name="required"/> names.</summary>
    /// <summary>How this key's prompts are stored; null follows the global default.</summary>
    public CostConsole.Routing.Privacy.PromptStorage? PromptStorage { get; init; }

    public bool Has(KeyScopes required) => (Scopes & required) == required;

    /// <summary>True when the key narrows where it may be routed, so admission has to look at the decision.</summary>
    public bool IsRestricted => AllowedTiers.Count > 0 || AllowedModels.Count > 0;
}

public static class ApiKeySecrets
{
    public const string SecretPrefix = "cc-";

    /// <summary>SHA-256 hex of a secret. Keys are long random strings, so a fast hash is enough; no salt is needed.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Prefix(string secret) => secret.Length <= 8 ? secret : secret[..8];

    /// <summary>A new secret: 32 random bytes, URL-safe, behind a recognisable prefix.</summary>
    public static string NewSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Splits a stored comma-separated list into its trimmed, non-empty items.</summary>
    public static IReadOnlyList<string> SplitList(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static ApiKeyInfo ToInfo(ApiKeyEntity k) => new(k.Id, k.Name, k.Team)
    {
        AllowedTiers = SplitList(k.AllowedTiers).ToFrozenSet(StringComparer.Ordinal),
        AllowedModels = SplitList(k.AllowedModels).ToFrozenSet(StringComparer.Ordinal),
        RequestsPerMinute = k.RequestsPerMinute,
        TokensPerMinute = k.TokensPerMinute,
        Scopes = KeyScopeNames.Parse(k.Scopes),
        PromptStorage = CostConsole.Routing.Privacy.PromptStorageNames.Parse(k.PromptStorage),
    };

    /// <summary>The live keys, by hash, for authenticating without touching the database per request.</summary>
    public static async Task<FrozenDictionary<string, ApiKeyInfo>> LoadActiveAsync(CostConsoleDbContext db, CancellationToken cancellationToken = default)
    {
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).ToListAsync(cancellationToken);
        return keys.ToFrozenDictionary(k => k.Hash, ToInfo, StringComparer.Ordinal);
    }
}
