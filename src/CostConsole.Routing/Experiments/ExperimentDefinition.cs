using CostConsole.Routing.Decisions;

namespace CostConsole.Routing.Experiments;

/// <summary>What keeps a caller in the same arm: every request with the same unit value gets the same arm.</summary>
public enum AssignmentUnitKind
{
    /// <summary>The API key that sent the request.</summary>
    ApiKey,

    /// <summary>The end user named in the request's <c>user</c> field.</summary>
    User,

    /// <summary>The conversation id of the <c>x-costconsole-conversation</c> header.</summary>
    Conversation,
}

/// <summary>
/// Which requests an experiment takes. Each list narrows the scope; an empty list does not restrict.
/// A request is in scope when it matches every non-empty list (any entry of a list will do).
/// </summary>
public sealed record ExperimentScope
{
    public static ExperimentScope All { get; } = new();

    public IReadOnlyList<long> ApiKeyIds { get; init; } = [];

    public IReadOnlyList<string> Teams { get; init; } = [];

    public IReadOnlyList<string> Tiers { get; init; } = [];

    public IReadOnlyList<string> Rules { get; init; } = [];

    public bool IsAll => ApiKeyIds.Count == 0 && Teams.Count == 0 && Tiers.Count == 0 && Rules.Count == 0;
}

/// <summary>One arm: its share of the traffic in percent and the tier mapping its requests are routed with.</summary>
public sealed record ExperimentArmDefinition(string Name, int Weight, TierMappingDefinition Mapping);

/// <summary>A running experiment as the router sees it. The first arm is the control.</summary>
/// <param name="Salt">Mixed into the assignment hash so that two experiments split the same units independently.</param>
public sealed record ExperimentDefinition(
    long Id,
    string Name,
    string Salt,
    AssignmentUnitKind Unit,
    ExperimentScope Scope,
    IReadOnlyList<ExperimentArmDefinition> Arms);

/// <summary>
/// What identifies the caller of one request for arm assignment. Requests without the experiment's unit
/// (e.g. no conversation header when assigning by conversation) are not enrolled.
/// </summary>
/// <param name="Team">The key's team; when null the router looks it up from the key id.</param>
public readonly record struct AssignmentUnit(long? ApiKeyId, string? Team, string? User, string? ConversationId)
{
    public string? ValueOf(AssignmentUnitKind kind) => kind switch
    {
        AssignmentUnitKind.ApiKey => ApiKeyId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AssignmentUnitKind.User => string.IsNullOrWhiteSpace(User) ? null : User,
        AssignmentUnitKind.Conversation => string.IsNullOrWhiteSpace(ConversationId) ? null : ConversationId,
        _ => null,
    };
}
