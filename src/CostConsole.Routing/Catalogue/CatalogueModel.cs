namespace CostConsole.Routing.Catalogue;

[Flags]
public enum ModelCapabilities
{
    None = 0,
    Tools = 1,
    Vision = 2,
    JsonSchema = 4,
    Logprobs = 8,
}

/// <summary>What a model does: answers chat (tiers, rules, escalation) or turns text into vectors (<c>/v1/embeddings</c>).</summary>
public enum ModelKind
{
    Chat,

    Embedding,
}

/// <summary>Model kinds as configuration, the database and the price map write them: <c>chat</c>, <c>embedding</c>.</summary>
public static class ModelKinds
{
    public static string Of(ModelKind kind) => kind == ModelKind.Embedding ? "embedding" : "chat";

    /// <summary>Reads a kind; LiteLLM's <c>mode</c> values other than <c>embedding</c> (chat, completion, responses) are chat.</summary>
    public static ModelKind Parse(string? value) =>
        string.Equals(value?.Trim(), "embedding", StringComparison.OrdinalIgnoreCase) || string.Equals(value?.Trim(), "embeddings", StringComparison.OrdinalIgnoreCase)
            ? ModelKind.Embedding
            : ModelKind.Chat;
}

/// <summary>A model as the catalogue knows it: <see cref="Id"/> is the id the provider knows it by.</summary>
public sealed record CatalogueModel(
    string Id,
    string Provider,
    string DisplayName,
    string Tier,
    long? ContextWindow,
    ModelCapabilities Capabilities,
    bool Enabled = true)
{
    /// <summary>
    /// Chat models serve tiers; embeddings models serve <c>/v1/embeddings</c> only and are priced per input token. An
    /// embeddings model's tier is the alias it answers to there (<c>model: "small"</c>), never a chat route.
    /// </summary>
    public ModelKind Kind { get; init; }

    /// <summary>The catalogue-wide key, unique even when two providers serve the same model id.</summary>
    public string Key => ModelKey.Of(Provider, Id);
}

public static class ModelKey
{
    public static string Of(string provider, string modelId) => provider + "/" + modelId;
}
