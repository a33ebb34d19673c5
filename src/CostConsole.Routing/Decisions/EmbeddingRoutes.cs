using System.Collections.Frozen;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Decisions;

/// <summary>
/// Where <c>POST /v1/embeddings</c> goes, compiled with the snapshot: an embeddings model by name, a tier name (the
/// cheapest embeddings model the catalogue puts in that tier), or <c>auto</c> (the cheapest enabled embeddings model).
/// A request goes to exactly one model and never falls back to another: vectors from two models are not comparable,
/// so a silent switch would corrupt whatever index the client builds.
/// </summary>
public sealed class EmbeddingRoutes
{
    public static readonly EmbeddingRoutes None = new([], FrozenDictionary<string, RoutedModel>.Empty, FrozenDictionary<string, string[]>.Empty, FrozenDictionary<string, RoutedModel>.Empty);

    private readonly FrozenDictionary<string, RoutedModel> _byReference;
    private readonly FrozenDictionary<string, string[]> _ambiguous;
    private readonly FrozenDictionary<string, RoutedModel> _byTier;

    private EmbeddingRoutes(RoutedModel[] models, FrozenDictionary<string, RoutedModel> byReference, FrozenDictionary<string, string[]> ambiguous, FrozenDictionary<string, RoutedModel> byTier)
    {
        Models = models;
        _byReference = byReference;
        _ambiguous = ambiguous;
        _byTier = byTier;
        Auto = models.Length > 0 ? models[0] : null;
    }

    /// <summary>The enabled embeddings models, cheapest first (by input price when compiled; unpriced ones last).</summary>
    public IReadOnlyList<RoutedModel> Models { get; }

    /// <summary>What <c>auto</c> chooses: the cheapest embeddings model, or null when the catalogue has none.</summary>
    public RoutedModel? Auto { get; }

    internal static EmbeddingRoutes Compile(
        IReadOnlyList<RoutedModel> catalogue, IReadOnlyDictionary<string, RoutedModel> byReference, IReadOnlyDictionary<string, string[]> ambiguous, PriceBook prices, DateTimeOffset at)
    {
        var models = catalogue
            .Where(m => m.Model.Kind == ModelKind.Embedding)
            .Select((m, position) => (Model: m, Price: prices.PriceAt(m.Key, at)?.InputPerMillion, Position: position))
            .OrderBy(x => x.Price is null)
            .ThenBy(x => x.Price ?? 0m)
            .ThenBy(x => x.Position)
            .Select(x => x.Model)
            .ToArray();
        if (models.Length == 0)
        {
            return None;
        }

        var tiers = new Dictionary<string, RoutedModel>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in models)
        {
            tiers.TryAdd(model.Tier, model);
        }

        return new EmbeddingRoutes(
            models,
            byReference.Where(kv => kv.Value.Model.Kind == ModelKind.Embedding).ToFrozenDictionary(StringComparer.Ordinal),
            ambiguous.ToFrozenDictionary(StringComparer.Ordinal),
            tiers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The one model a request naming <paramref name="requested"/> goes to, and why.</summary>
    /// <param name="chatModel">The catalogue's model of that name when it is a chat model, for the error that says so.</param>
    /// <exception cref="ChatRequestException">The name is not an embeddings route: unknown, ambiguous, or a chat model.</exception>
    public (RoutedModel Model, DecisionSource Source, string Reason) Resolve(string requested, RoutedModel? chatModel)
    {
        if (string.Equals(requested, ChatRequestParser.AutoModel, StringComparison.OrdinalIgnoreCase))
        {
            return Auto is { } cheapest
                ? (cheapest, DecisionSource.PinnedTier, $"auto: {cheapest.Model.Id}, the cheapest embeddings model")
                : throw new ChatRequestException("model_not_found", "The catalogue has no enabled embeddings model, so 'auto' has nowhere to go. An admin can add one (kind \"embedding\") on the catalogue page or in configuration.", "model");
        }

        if (_byReference.TryGetValue(requested, out var model))
        {
            return (model, DecisionSource.PinnedModel, "embeddings model pinned by the request");
        }

        if (_byTier.TryGetValue(requested, out var ofTier))
        {
            return (ofTier, DecisionSource.PinnedTier, $"tier {ofTier.Tier}: {ofTier.Model.Id}, its cheapest embeddings model");
        }

        if (chatModel is not null)
        {
            throw new ChatRequestException(
                "model_not_embeddings",
                $"'{requested}' is a chat model, not an embeddings model. Use {Suggestion()}, or send chat requests to POST /v1/chat/completions.",
                "model");
        }

        if (_ambiguous.TryGetValue(requested, out var servedBy))
        {
            throw new ChatRequestException(
                "ambiguous_model",
                $"Several providers serve '{requested}' ({string.Join(", ", servedBy)}). Name one as provider/{requested}, e.g. {servedBy[0]}/{requested}.",
                "model");
        }

        throw new ChatRequestException("model_not_found", $"The embeddings model '{requested}' does not exist here. Use {Suggestion()}.", "model");
    }

    private string Suggestion() => Models.Count == 0
        ? "an embeddings model once an admin adds one to the catalogue (kind \"embedding\")"
        : $"\"auto\" or an embeddings model: {string.Join(", ", Models.Take(5).Select(m => m.Model.Id))}";
}
