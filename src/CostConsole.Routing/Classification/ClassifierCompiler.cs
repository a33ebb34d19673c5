using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Classification;

/// <summary>Validates a rule set's classifier and compiles it; problems are added to the compiler's list, in words a person can act on.</summary>
internal static class ClassifierCompiler
{
    private const int QuoteLength = 40;

    /// <summary>Returns null when the definition has errors.</summary>
    public static ITierClassifier? Compile(
        ClassifierDefinition definition,
        IReadOnlyList<string> tiers,
        IReadOnlyDictionary<string, int> tierIndex,
        string defaultTier,
        IReadOnlyDictionary<string, RoutedModel> models,
        Func<string, string> unknown,
        IModelInvoker? invoker,
        IEmbedder? embedder,
        List<string> errors,
        TrainedModels? trained = null)
    {
        var context = new Context(tiers, tierIndex, defaultTier, models, unknown, invoker, embedder, errors);
        switch (definition.Kind)
        {
            case ClassifierKind.DefaultTier:
                return new DefaultTierClassifier(defaultTier);

            case ClassifierKind.Semantic:
                return Semantic(definition.Semantic, "Semantic classifier", context);

            case ClassifierKind.Llm:
                return Llm(definition.Llm, "LLM classifier", context);

            case ClassifierKind.Hybrid:
                var semantic = Semantic(definition.Semantic, "Hybrid classifier, semantic part", context);
                var llm = Llm(definition.Llm, "Hybrid classifier, LLM part", context);
                return semantic is not null && llm is not null ? new HybridClassifier(semantic, llm) : null;

            case ClassifierKind.Trained:
                return Trained(definition.Trained, trained ?? TrainedModels.None, context);

            default:
                errors.Add($"Classifier kind '{definition.Kind}' does not exist; use DefaultTier, Semantic, Llm, Hybrid or Trained.");
                return null;
        }
    }

    /// <summary>Compiles a trained model to run in shadow; null (with the reasons in <paramref name="errors"/>) when it cannot.</summary>
    public static ShadowRouter? Shadow(
        TrainedClassifierDefinition definition,
        IReadOnlyList<string> tiers,
        IReadOnlyDictionary<string, int> tierIndex,
        string defaultTier,
        IReadOnlyDictionary<string, RoutedModel> models,
        Func<string, string> unknown,
        List<string> errors,
        TrainedModels trained)
    {
        var context = new Context(tiers, tierIndex, defaultTier, models, unknown, null, null, errors);
        return Trained(definition, trained, context, "Shadow model") is { } classifier ? new ShadowRouter(classifier, classifier.Router.Model.Reference, definition) : null;
    }

    private static SemanticClassifier? Semantic(SemanticClassifierDefinition? definition, string label, Context context)
    {
        var errors = context.Errors;
        if (definition is null)
        {
            errors.Add($"{label}: no settings were given; add example prompts per tier and a threshold.");
            return null;
        }

        var before = errors.Count;
        if (!(definition.Threshold is >= 0 and <= 1))
        {
            errors.Add($"{label}: the threshold {definition.Threshold} is out of range; use a similarity from 0 to 1 (e.g. {SemanticClassifierDefinition.DefaultThreshold}).");
        }

        if (definition.Neighbours < 1)
        {
            errors.Add($"{label}: neighbours is {definition.Neighbours}; at least 1 nearest example must vote (e.g. {SemanticClassifierDefinition.DefaultNeighbours}).");
        }

        var examples = new List<SemanticExample>();
        foreach (var (tier, prompts) in definition.Examples)
        {
            if (!context.TierIndex.TryGetValue(tier, out var index))
            {
                errors.Add($"{label}: examples are given for tier '{tier}', which does not exist (tiers: {string.Join(", ", context.Tiers)}).");
                continue;
            }

            foreach (var prompt in prompts ?? [])
            {
                if (!string.IsNullOrWhiteSpace(prompt))
                {
                    var text = prompt.Trim();
                    examples.Add(new SemanticExample(text, index, "'" + Shorten(text) + "'"));
                }
            }
        }

        if (examples.Count == 0 && errors.Count == before)
        {
            errors.Add($"{label}: there is no example prompt; give at least one for a tier.");
        }

        RoutedModel? embeddingModel = null;
        switch (definition.Vectoriser)
        {
            case Vectoriser.HashedTfIdf:
                break;
            case Vectoriser.MiniLm when context.Embedder is null:
                errors.Add($"{label}: the MiniLM vectoriser is not available: the rule set was compiled without the local sentence model. Pass the host's IEmbedder to SnapshotCompiler.Compile, or choose HashedTfIdf.");
                break;
            case Vectoriser.MiniLm:
                break;
            case Vectoriser.Embeddings when string.IsNullOrWhiteSpace(definition.EmbeddingModel):
                errors.Add($"{label}: the Embeddings vectoriser needs an embeddings model from the catalogue (provider/id or id).");
                break;
            case Vectoriser.Embeddings:
                embeddingModel = context.Model(definition.EmbeddingModel!, $"{label}: the embeddings model");
                context.RequireInvoker($"{label}: the embeddings model");
                break;
            default:
                errors.Add($"{label}: vectoriser '{definition.Vectoriser}' does not exist; use MiniLm, HashedTfIdf or Embeddings.");
                break;
        }

        if (errors.Count > before)
        {
            return null;
        }

        SemanticExample[] compiled = [.. examples];
        return definition.Vectoriser switch
        {
            Vectoriser.MiniLm => SemanticClassifier.WithEmbedder(compiled, context.Tiers, definition.Neighbours, definition.Threshold, context.DefaultTier, context.Embedder!),
            Vectoriser.Embeddings => SemanticClassifier.WithEmbedder(
                compiled, context.Tiers, definition.Neighbours, definition.Threshold, context.DefaultTier, new ModelEmbedder(context.Invoker!, embeddingModel!)),
            _ => SemanticClassifier.WithHashedTfIdf(compiled, context.Tiers, definition.Neighbours, definition.Threshold, context.DefaultTier),
        };
    }

    private static LlmClassifier? Llm(LlmClassifierDefinition? definition, string label, Context context)
    {
        var errors = context.Errors;
        if (definition is null)
        {
            errors.Add($"{label}: no settings were given; choose a model and the labels it answers with.");
            return null;
        }

        var before = errors.Count;
        if (string.IsNullOrWhiteSpace(definition.Prompt) || !definition.Prompt.Contains(LlmClassifierDefinition.LabelsPlaceholder, StringComparison.Ordinal))
        {
            errors.Add($"{label}: the prompt must contain {LlmClassifierDefinition.LabelsPlaceholder} where the labels go, e.g. \"{LlmClassifierDefinition.LabelsInstruction}\".");
        }

        if (definition.MaxTokens < 1)
        {
            errors.Add($"{label}: max tokens is {definition.MaxTokens}; the model needs at least 1 to answer (e.g. {LlmClassifierDefinition.DefaultMaxTokens}).");
        }

        var labels = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, tier) in definition.Labels)
        {
            var trimmed = name?.Trim() ?? "";
            if (trimmed.Length == 0 || !trimmed.All(c => char.IsLetterOrDigit(c) || c is '-' or '_') || !char.IsLetterOrDigit(trimmed[0]) || !char.IsLetterOrDigit(trimmed[^1]))
            {
                errors.Add($"{label}: label '{name}' must be one word of letters and digits (- and _ allowed inside), so an answer can be matched to it.");
                continue;
            }

            if (!seen.Add(trimmed))
            {
                errors.Add($"{label}: label '{trimmed}' is listed more than once (labels compare case-insensitively).");
                continue;
            }

            if (tier is null || !context.TierIndex.TryGetValue(tier, out var index))
            {
                errors.Add($"{label}: label '{trimmed}' sends requests to tier '{tier}', which does not exist (tiers: {string.Join(", ", context.Tiers)}).");
                continue;
            }

            labels.Add(new(trimmed, context.Tiers[index]));
        }

        if (definition.Labels.Count == 0)
        {
            errors.Add($"{label}: there is no label; map at least one answer label to a tier, e.g. small → small.");
        }

        RoutedModel? model = null;
        if (string.IsNullOrWhiteSpace(definition.Model))
        {
            errors.Add($"{label}: choose the catalogue model that classifies (provider/id or id); a cheap, fast one.");
        }
        else
        {
            model = context.Model(definition.Model, $"{label}: the classifier", chat: true);
            context.RequireInvoker($"{label}: the model '{definition.Model}'");
        }

        return errors.Count > before || model is null
            ? null
            : new LlmClassifier(context.Invoker!, model, definition.Prompt, labels, definition.MaxTokens, context.DefaultTier);
    }

    private static TrainedClassifier? Trained(TrainedClassifierDefinition? definition, TrainedModels trained, Context context, string label = "Trained classifier")
    {
        var errors = context.Errors;
        if (definition is null || string.IsNullOrWhiteSpace(definition.Model))
        {
            errors.Add($"{label}: choose a trained model (name@version), e.g. {ShippedModels.Support}.");
            return null;
        }

        var before = errors.Count;
        if (!(definition.QualityTarget is > 0 and <= 1))
        {
            errors.Add($"{label}: the quality target {definition.QualityTarget} is out of range; use a probability above 0 and at most 1 (e.g. {TrainedClassifierDefinition.DefaultQualityTarget}).");
        }

        if (!(definition.Exploration is >= 0 and <= TrainedClassifierDefinition.MaxExploration))
        {
            errors.Add($"{label}: the exploration share {definition.Exploration} is out of range; use a share from 0 (never explore) to {TrainedClassifierDefinition.MaxExploration} (e.g. 0.05).");
        }

        if (!(definition.Lambda is >= 0 and <= 100))
        {
            errors.Add($"{label}: λ is {definition.Lambda}; use a value from 0 to 100 (e.g. {TrainedClassifierDefinition.DefaultLambda}).");
        }

        var model = trained.Stored.GetValueOrDefault(definition.Model) ?? ShippedModels.Find(definition.Model);
        if (model is null)
        {
            errors.Add($"{label}: the model '{definition.Model}' does not exist; shipped: {string.Join(", ", ShippedModels.Names)}{(trained.Stored.Count == 0 ? "" : "; stored: " + string.Join(", ", trained.Stored.Keys.Order(StringComparer.Ordinal)))}.");
            return null;
        }

        var router = TrainedRouter.Compile(model, errors, $"{label}: model");
        if (router is null)
        {
            return null;
        }

        var tiers = new string[router.Tiers.Count];
        var costs = new double[router.Tiers.Count];
        for (var i = 0; i < router.Tiers.Count; i++)
        {
            if (!context.TierIndex.TryGetValue(router.Tiers[i], out var index))
            {
                errors.Add($"{label}: the model '{definition.Model}' predicts tier '{router.Tiers[i]}', which does not exist (tiers: {string.Join(", ", context.Tiers)}).");
                continue;
            }

            tiers[i] = context.Tiers[index];
            costs[i] = index < trained.RelativeCosts.Length ? trained.RelativeCosts[index] : 1;
        }

        return errors.Count > before ? null : new TrainedClassifier(router, tiers, costs, definition);
    }

    private static string Shorten(string text)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= QuoteLength ? flat : string.Concat(flat.AsSpan(0, QuoteLength).TrimEnd(), "…");
    }

    private sealed record Context(
        IReadOnlyList<string> Tiers,
        IReadOnlyDictionary<string, int> TierIndex,
        string DefaultTier,
        IReadOnlyDictionary<string, RoutedModel> Models,
        Func<string, string> Unknown,
        IModelInvoker? Invoker,
        IEmbedder? Embedder,
        List<string> Errors)
    {
        /// <summary>The catalogue model <paramref name="reference"/> names; with <paramref name="chat"/>, one that answers prompts (not an embeddings model).</summary>
        public RoutedModel? Model(string reference, string what, bool chat = false)
        {
            if (Models.TryGetValue(reference, out var model))
            {
                if (chat && model.Model.Kind == ModelKind.Embedding)
                {
                    Errors.Add($"{what} names {model.Key}, an embeddings model, which cannot answer the classifier's prompt; choose a chat model.");
                    return null;
                }

                return model;
            }

            Errors.Add($"{what} names model {Unknown(reference)}.");
            return null;
        }

        public void RequireInvoker(string what)
        {
            if (Invoker is null)
            {
                Errors.Add($"{what} cannot be called: the rule set was compiled without a model invoker. Pass the host's IModelInvoker to SnapshotCompiler.Compile.");
            }
        }
    }
}

/// <summary>What the trained classifier compiles against: the stored models and each tier's relative cost.</summary>
internal sealed record TrainedModels(IReadOnlyDictionary<string, TrainedRouterModel> Stored, double[] RelativeCosts)
{
    public static TrainedModels None { get; } = new(new Dictionary<string, TrainedRouterModel>(), []);
}
