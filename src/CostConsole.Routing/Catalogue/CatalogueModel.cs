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
    /// <summary>The catalogue-wide key, unique even when two providers serve the same model id.</summary>
    public string Key => ModelKey.Of(Provider, Id);
}

public static class ModelKey
{
    public static string Of(string provider, string modelId) => provider + "/" + modelId;
}
