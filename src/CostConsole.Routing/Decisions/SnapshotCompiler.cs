using System.Collections.Frozen;
using System.Text.RegularExpressions;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Privacy;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Decisions;

/// <summary>Validates a <see cref="RoutingConfig"/> and compiles it into a <see cref="RoutingSnapshot"/>; all the work happens here, none per request.</summary>
public static class SnapshotCompiler
{
    private const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    // Inputs on which catastrophic backtracking shows: long runs of one character with a failing tail.
    private static readonly string[] RegexProbes =
    [
        new string('a', 4096) + "!",
        string.Concat(Enumerable.Repeat("ab", 2048)) + "!",
        new string(' ', 4096) + "x",
        string.Concat(Enumerable.Repeat("a1 ", 1365)) + "!",
    ];

    /// <param name="invoker">Calls the models of LLM classifiers and embeddings vectorisers; without it only classifiers that need no model compile.</param>
    /// <param name="embedder">The local sentence model (MiniLM) of the MiniLm vectoriser; without it a rule set that uses it does not compile.</param>
    /// <exception cref="RoutingConfigException">Lists every problem found, not just the first.</exception>
    public static RoutingSnapshot Compile(RoutingConfig config, DateTimeOffset? now = null, IModelInvoker? invoker = null, IEmbedder? embedder = null)
    {
        var errors = new List<string>();
        var at = now ?? DateTimeOffset.UtcNow;

        var tiers = config.Tiers.ToArray();
        if (tiers.Length == 0)
        {
            errors.Add("At least one tier is required.");
        }

        foreach (var duplicate in tiers.GroupBy(t => t, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Tier '{duplicate.Key}' is defined more than once.");
        }

        var tierIndex = tiers.Distinct(StringComparer.OrdinalIgnoreCase).Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.OrdinalIgnoreCase);

        var providers = config.Providers.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        foreach (var provider in config.Providers)
        {
            if (!provider.IsLocal && !(Uri.TryCreate(provider.BaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                errors.Add($"Provider '{provider.Name}': base URL '{provider.BaseUrl}' must be an absolute http(s) URL.");
            }
        }

        // Every enabled catalogue model, routable by "provider/id", and by id when the id is unique.
        var catalogue = new List<RoutedModel>();
        foreach (var model in config.Models.Where(m => m.Enabled))
        {
            if (!providers.TryGetValue(model.Provider, out var provider))
            {
                errors.Add($"Model '{model.Id}' names provider '{model.Provider}', which does not exist.");
                continue;
            }

            if (!tierIndex.TryGetValue(model.Tier, out var index))
            {
                errors.Add($"Model '{model.Id}' is in tier '{model.Tier}', which does not exist.");
                continue;
            }

            catalogue.Add(new RoutedModel(model, provider, tiers[index], index));
        }

        var byReference = new Dictionary<string, RoutedModel>(StringComparer.Ordinal);
        foreach (var model in catalogue)
        {
            byReference[model.Key] = model;
        }

        var ambiguous = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var group in catalogue.GroupBy(m => m.Model.Id, StringComparer.Ordinal))
        {
            if (group.Count() == 1)
            {
                byReference.TryAdd(group.Key, group.First());
            }
            else
            {
                ambiguous[group.Key] = [.. group.Select(m => m.Provider.Name)];
            }
        }

        string Unknown(string reference) => ambiguous.TryGetValue(reference, out var servedBy)
            ? $"'{reference}', which several providers serve ({string.Join(", ", servedBy)}): name it as provider/{reference}"
            : $"'{reference}', which is not an enabled catalogue model";

        // The tier mapping: each tier's models in fallback order.
        var tierModels = CompileMapping(config.Mapping, $"Tier mapping '{config.Mapping.Name}'", tiers, tierIndex, byReference, Unknown, errors);

        // A tier's candidates: its own models, then every tier above, so a failing tier falls back upwards.
        var candidates = Candidates(tierModels);

        var ruleSet = config.RuleSet;
        if (!tierIndex.ContainsKey(ruleSet.DefaultTier))
        {
            errors.Add($"The default tier '{ruleSet.DefaultTier}' does not exist.");
        }

        var personalData = PersonalDataDetector.Compile(config.PersonalDataPatterns, errors);
        var keywords = new KeywordIndex();
        var rules = CompileRules(ruleSet.Rules, tierIndex, byReference, Unknown, keywords, config.RegexTimeout, errors, personalData);

        var defaultTier = tierIndex.TryGetValue(ruleSet.DefaultTier, out var defaultIndex) ? tiers[defaultIndex] : ruleSet.DefaultTier;
        var prices = new PriceBook(config.Prices.Where(p => ValidPrice(p, errors)));
        var trained = new TrainedModels(config.TrainedModels, RelativeCosts(tierModels, prices, at));
        var classifier = ClassifierCompiler.Compile(ruleSet.Classifier ?? new(), tiers, tierIndex, defaultTier, byReference, Unknown, invoker, embedder, errors, trained);
        var shadow = config.Shadow is { } shadowed ? ClassifierCompiler.Shadow(shadowed, tiers, tierIndex, defaultTier, byReference, Unknown, errors, trained) : null;

        var escalation = CompiledEscalation.Compile(ruleSet.Escalation, tiers, tierIndex, byReference, Unknown, config.RegexTimeout, errors);
        var experiments = ExperimentCompiler.Compile(config, tiers, tierIndex, (mapping, label) => Candidates(CompileMapping(mapping, label, tiers, tierIndex, byReference, Unknown, errors)), errors);

        var baseline = ChooseBaseline(config.BaselineModel, tierModels, byReference, prices, at, errors);
        var routesPersonalData = PersonalDataRouting.Check(ruleSet, tierModels, byReference, tierIndex, errors);

        if (errors.Count > 0)
        {
            throw new RoutingConfigException(errors);
        }

        var pinnedTierReasons = tiers.Select(t => $"tier {t} pinned by the request").ToArray();
        return new RoutingSnapshot(new SnapshotParts(
            tiers,
            defaultTier,
            config.Mapping.Name,
            config.RuleSetVersion,
            rules,
            candidates,
            pinnedTierReasons,
            catalogue,
            byReference.ToFrozenDictionary(StringComparer.Ordinal),
            ambiguous.ToFrozenDictionary(StringComparer.Ordinal),
            [.. providers.Values],
            prices,
            baseline,
            classifier!,
            config.RegexTimeout,
            experiments,
            config.KeyTeams.ToFrozenDictionary(),
            config)
        {
            Escalation = escalation,
            PersonalData = personalData,
            RoutesPersonalData = routesPersonalData,
            Embeddings = EmbeddingRoutes.Compile(catalogue, byReference, ambiguous, prices, at),
            Shadow = shadow,
            Exploration = config.RuleSet.Classifier is { Kind: ClassifierKind.Trained, Trained.Exploration: > 0 and var share } ? share : 0,
        });
    }

    /// <summary>Compiles one pattern as rules do, or returns why it cannot be used.</summary>
    public static string? CheckRegex(string pattern, TimeSpan timeout)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return "The pattern is empty.";
        }

        Regex regex;
        try
        {
            regex = BuildRegex(pattern, timeout);
        }
        catch (ArgumentException ex)
        {
            return $"The pattern does not compile: {ex.Message}";
        }

        if ((regex.Options & RegexOptions.NonBacktracking) != 0)
        {
            // Linear time in the input whatever the pattern: nothing to probe.
            return null;
        }

        foreach (var probe in RegexProbes)
        {
            try
            {
                regex.IsMatch(probe);
            }
            catch (RegexMatchTimeoutException)
            {
                return $"The pattern takes longer than {timeout.TotalMilliseconds:0} ms on a {probe.Length}-character probe (catastrophic backtracking); simplify it.";
            }
        }

        return null;
    }

    /// <summary>
    /// The non-backtracking engine when the pattern allows it: linear time, so a hostile pattern cannot hang a
    /// request, no timeout to check on every step, and several times faster on long prompts. Patterns it
    /// cannot run (lookarounds, backreferences, atomic groups) use the backtracking engine with the match timeout.
    /// </summary>
    internal static Regex BuildRegex(string pattern, TimeSpan timeout)
    {
        try
        {
            return new Regex(pattern, PatternOptions | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, PatternOptions | RegexOptions.Compiled, timeout);
        }
    }

    private static CompiledRule[] CompileRules(
        IReadOnlyList<RuleDefinition> definitions,
        Dictionary<string, int> tierIndex,
        Dictionary<string, RoutedModel> models,
        Func<string, string> unknown,
        KeywordIndex keywords,
        TimeSpan regexTimeout,
        List<string> errors,
        PersonalDataDetector personalData)
    {
        var compiled = new List<CompiledRule>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < definitions.Count; i++)
        {
            var rule = definitions[i];
            var label = $"Rule #{i + 1} '{rule.Name}'";
            if (string.IsNullOrWhiteSpace(rule.Name))
            {
                errors.Add($"Rule #{i + 1} has no name.");
            }
            else if (!names.Add(rule.Name))
            {
                errors.Add($"{label}: another rule has the same name.");
            }

            int? tier = null;
            string? pinned = null;
            if (rule.Action.Model is { Length: > 0 } modelReference)
            {
                if (models.TryGetValue(modelReference, out var pinnedModel) && pinnedModel.Model.Kind == ModelKind.Embedding)
                {
                    errors.Add($"{label}: the action names {pinnedModel.Key}, an embeddings model, which cannot answer chat requests.");
                }
                else if (pinnedModel is not null)
                {
                    pinned = modelReference;
                }
                else
                {
                    errors.Add($"{label}: the action names model {unknown(modelReference)}.");
                }
            }
            else if (rule.Action.Tier is { Length: > 0 } tierName && tierIndex.TryGetValue(tierName, out var index))
            {
                tier = index;
            }
            else
            {
                errors.Add($"{label}: the action must name an existing tier or model (got '{rule.Action.Tier}').");
            }

            if (rule.Conditions.Count == 0)
            {
                errors.Add($"{label}: a rule needs at least one condition (requests no rule catches go to the classifier).");
            }

            var conditions = new List<CompiledCondition>();
            foreach (var condition in rule.Conditions)
            {
                if (CompileCondition(condition, keywords, regexTimeout, label, errors, personalData) is { } c)
                {
                    conditions.Add(c);
                }
            }

            if (rule.Enabled)
            {
                compiled.Add(new CompiledRule(rule.Name, i + 1, [.. conditions.OrderBy(c => c.Cost)], RuleText.Summarize(rule), tier, pinned, Affinity.ConversationAffinity.HardReason(rule)));
            }
        }

        return [.. compiled];
    }

    internal static CompiledCondition? CompileCondition(RuleCondition condition, KeywordIndex keywords, TimeSpan regexTimeout, string label, List<string> errors, PersonalDataDetector? personalData = null)
    {
        switch (condition)
        {
            case PersonalDataCondition p:
                var detector = personalData ?? PersonalDataDetector.BuiltIn;
                ulong mask = 0;
                foreach (var kind in p.Kinds.Where(k => !string.IsNullOrWhiteSpace(k)))
                {
                    var index = detector.KindIndex(kind.Trim());
                    if (index < 0)
                    {
                        errors.Add($"{label}: '{kind}' is not a kind of personal data; use any of {string.Join(", ", detector.Kinds)}, or none for any kind.");
                        return null;
                    }

                    mask |= 1UL << index;
                }

                return new PersonalDataConditionCompiled(detector, mask);

            case KeywordCondition k:
                var phrases = k.Keywords.Where(w => !string.IsNullOrWhiteSpace(w)).Select(keywords.Register).Where(p => p.Length > 0).ToArray();
                if (phrases.Length == 0)
                {
                    errors.Add($"{label}: a keyword condition needs at least one keyword with letters or digits.");
                    return null;
                }

                return new KeywordConditionCompiled(k.Match, phrases, keywords);

            case RegexCondition r:
                if (CheckRegex(r.Pattern, regexTimeout) is { } problem)
                {
                    errors.Add($"{label}: regex /{r.Pattern}/: {problem}");
                    return null;
                }

                return new RegexConditionCompiled(BuildRegex(r.Pattern, regexTimeout));

            case TokenLengthCondition t:
                if (t.Min is < 0 || t.Max is < 0 || (t.Min is { } tMin && t.Max is { } tMax && tMin > tMax) || (t.Min is null && t.Max is null))
                {
                    errors.Add($"{label}: a token range needs a minimum and/or maximum, not negative, minimum ≤ maximum.");
                    return null;
                }

                return new TokenLengthConditionCompiled(t.Min ?? 0, t.Max ?? long.MaxValue);

            case MetadataCondition m:
                if (string.IsNullOrWhiteSpace(m.Key))
                {
                    errors.Add($"{label}: a metadata condition needs a key.");
                    return null;
                }

                var values = m.Values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
                return string.Equals(m.Key, "tags", StringComparison.OrdinalIgnoreCase)
                    ? new TagsConditionCompiled(values)
                    : new MetadataConditionCompiled(m.Key.Trim(), values);

            case ToolsCondition tools:
                return new ToolsConditionCompiled(tools.Present);

            case TurnsCondition turns:
                if (turns.Min is < 0 || turns.Max is < 0 || (turns.Min is { } lo && turns.Max is { } hi && lo > hi) || (turns.Min is null && turns.Max is null))
                {
                    errors.Add($"{label}: a turns range needs a minimum and/or maximum, not negative, minimum ≤ maximum.");
                    return null;
                }

                return new TurnsConditionCompiled(turns.Min ?? 0, turns.Max ?? int.MaxValue);

            default:
                errors.Add($"{label}: unknown condition type {condition.GetType().Name}.");
                return null;
        }
    }

    /// <summary>
    /// Each tier's price relative to the top tier's (input plus output per million tokens of its first model), for
    /// the trained router's cost-aware policy; a tier without a priced model counts by its position.
    /// </summary>
    private static double[] RelativeCosts(RoutedModel[][] tierModels, PriceBook prices, DateTimeOffset at)
    {
        var costs = new double[tierModels.Length];
        for (var i = 0; i < tierModels.Length; i++)
        {
            var price = tierModels[i].Length == 0 ? null : prices.PriceAt(tierModels[i][0].Key, at);
            costs[i] = price is null ? double.NaN : (double)(price.InputPerMillion + price.OutputPerMillion);
        }

        var top = costs.Where(c => !double.IsNaN(c)).DefaultIfEmpty(0).Max();
        for (var i = 0; i < costs.Length; i++)
        {
            costs[i] = double.IsNaN(costs[i]) || top <= 0 ? (i + 1.0) / costs.Length : costs[i] / top;
        }

        return costs;
    }

    private static RoutedModel[][] CompileMapping(
        TierMappingDefinition mapping,
        string label,
        string[] tiers,
        Dictionary<string, int> tierIndex,
        Dictionary<string, RoutedModel> byReference,
        Func<string, string> unknown,
        List<string> errors)
    {
        var tierModels = new RoutedModel[tierIndex.Count][];
        for (var i = 0; i < tierModels.Length; i++)
        {
            var tier = tiers[i];
            var references = mapping.Tiers.FirstOrDefault(kv => string.Equals(kv.Key, tier, StringComparison.OrdinalIgnoreCase)).Value ?? [];
            var models = new List<RoutedModel>();
            foreach (var reference in references)
            {
                if (byReference.TryGetValue(reference, out var model) && model.Model.Kind == ModelKind.Embedding)
                {
                    errors.Add($"{label}: tier '{tier}' names {model.Key}, an embeddings model; tiers answer chat, so map chat models only (embeddings models serve /v1/embeddings by themselves).");
                }
                else if (model is not null)
                {
                    models.Add(model with { Tier = tier, TierIndex = i });
                }
                else
                {
                    errors.Add($"{label}: tier '{tier}' names model {unknown(reference)}.");
                }
            }

            if (models.Count == 0 && references.Count == 0)
            {
                errors.Add($"{label}: tier '{tier}' has no model.");
            }

            tierModels[i] = [.. models];
        }

        foreach (var mapped in mapping.Tiers.Keys.Where(k => !tierIndex.ContainsKey(k)))
        {
            errors.Add($"{label} maps tier '{mapped}', which does not exist.");
        }

        return tierModels;
    }

    private static RoutedModel[][] Candidates(RoutedModel[][] tierModels)
    {
        var candidates = new RoutedModel[tierModels.Length][];
        for (var i = 0; i < tierModels.Length; i++)
        {
            candidates[i] = [.. tierModels.Skip(i).SelectMany(m => m)];
        }

        return candidates;
    }

    private static bool ValidPrice(ModelPrice price, List<string> errors)
    {
        if (price.InputPerMillion < 0 || price.OutputPerMillion < 0 || price.CachedInputPerMillion < 0 || price.CacheWritePerMillion < 0)
        {
            errors.Add($"Price of '{price.ModelKey}' from {price.EffectiveFrom:u} is negative.");
            return false;
        }

        return true;
    }

    private static RoutedModel? ChooseBaseline(
        string? configured,
        RoutedModel[][] tierModels,
        Dictionary<string, RoutedModel> models,
        PriceBook prices,
        DateTimeOffset at,
        List<string> errors)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (models.TryGetValue(configured, out var chosen))
            {
                return chosen;
            }

            errors.Add($"The baseline model '{configured}' is not an enabled catalogue model.");
            return null;
        }

        // The most expensive priced model of the highest tier that has one.
        for (var i = tierModels.Length - 1; i >= 0; i--)
        {
            var priced = tierModels[i]
                .Select(m => (model: m, price: prices.PriceAt(m.Key, at)))
                .Where(x => x.price is not null)
                .OrderByDescending(x => x.price!.InputPerMillion + x.price.OutputPerMillion)
                .FirstOrDefault();
            if (priced.model is not null)
            {
                return priced.model;
            }
        }

        return null;
    }
}
