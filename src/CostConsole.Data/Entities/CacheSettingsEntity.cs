namespace CostConsole.Data.Entities;

/// <summary>
/// The response cache's policies as edited in the console: the default policy and the policies of named rules, as JSON.
/// One row; while there is none the configuration's policies are in force.
/// </summary>
public sealed class CacheSettingsEntity
{
    public const int SingleId = 1;

    public int Id { get; set; } = SingleId;

    /// <summary>The default policy and the rules' policies as JSON.</summary>
    public required string PoliciesJson { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
}
