namespace CostConsole.Routing.Affinity;

/// <summary>
/// The model that served a conversation's last turn, when, and how long that turn's prompt was: the prefix its provider
/// has likely cached.
/// </summary>
/// <param name="ModelKey">The catalogue model ("provider/id").</param>
/// <param name="Tier">The tier it served in.</param>
/// <param name="ServedAt">When the turn arrived.</param>
/// <param name="PromptTokens">The last turn's prompt tokens.</param>
public sealed record WarmModel(string ModelKey, string Tier, DateTimeOffset ServedAt, long PromptTokens);
