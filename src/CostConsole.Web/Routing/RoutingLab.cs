using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

/// <summary>
/// One side of a comparison: the decision and what it would cost. Its baseline prices the same tokens (prompt plus
/// the answer length assumed for the decided model) at <see cref="BaselineModel"/>, as the ledger prices each request.
/// </summary>
public sealed record BenchSide(RoutingDecision Decision, long PromptTokens, long AssumedCompletionTokens, decimal? EstimatedCost, decimal? BaselineCost, string? BaselineModel = null);

public sealed record BenchResult(BenchSide Draft, BenchSide Published);

public sealed record LabelledComparison(LabelledCheckResult Draft, LabelledCheckResult Published, IReadOnlyList<LabelledMiss> Misses);

public sealed record LabelledMiss(int Line, string Prompt, string Expected, string Draft, string Published);

/// <summary>
/// The semantic classifier's accuracy against its threshold on a labelled set; prompts that are themselves example
/// prompts are left out (they would match themselves at similarity 1) and counted.
/// </summary>
public sealed record ThresholdCheck(ThresholdCurve? Curve, int LeftOutAsExamples, double Threshold);

public sealed record DryRunChange(DateTimeOffset At, string Prompt, string PublishedTier, string DraftTier, decimal PublishedCost, decimal DraftCost);

/// <summary>What the draft would have done with real traffic, against what the published set does with it.</summary>
public sealed record DryRunResult(
    int Considered,
    int Skipped,
    IReadOnlyDictionary<string, int> PublishedMix,
    IReadOnlyDictionary<string, int> DraftMix,
    decimal PublishedCost,
    decimal DraftCost,
    decimal Baseline,
    int ChangedTier,
    IReadOnlyList<DryRunChange> Changes,
    bool Cancelled)
{
    public decimal PublishedSavings => Baseline <= 0 ? 0 : (Baseline - PublishedCost) / Baseline;

    public decimal DraftSavings => Baseline <= 0 ? 0 : (Baseline - DraftCost) / Baseline;
}

/// <summary>
/// Knowing before publishing: the test bench, the labelled check and the dry-run all decide through the
/// same snapshot code the router uses, once with the draft and once with the published rule set.
/// </summary>
public sealed class RoutingLab(IDbContextFactory<CostConsoleDbContext> factory, RuleSetService ruleSets, RoutingState routing, ITokenCounter tokens, TimeProvider time)
{
    /// <summary>Completion tokens assumed when the ledger has no history for a model.</summary>
    public const long DefaultCompletionTokens = 250;

    public const int MaxDryRun = 100_000;

    /// <summary>How many recent requests the shadow check tries the rules on.</summary>
    public const int ShadowTraffic = 1_000;

    /// <exception cref="RoutingConfigException">The draft does not compile.</exception>
    public async Task<BenchResult> BenchAsync(RuleSetDefinition draft, string prompt, string? tags, bool tools, CancellationToken cancellationToken = default)
    {
        var draftSnapshot = await ruleSets.CompileAsync(draft, 0, cancellationToken);
        var published = routing.Current;
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "auto",
            ["messages"] = new[] { new { role = "user", content = prompt } },
        });
        if (tools)
        {
            body = body[..^1] + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\"}}]}";
        }

        var completions = await AverageCompletionTokensAsync(cancellationToken);
        return new BenchResult(
            await SideAsync(draftSnapshot, body, tags, completions, cancellationToken),
            await SideAsync(published, body, tags, completions, cancellationToken));
    }

    /// <summary>
    /// The draft's rules that earlier rules shadow, tried on each rule's example prompts and on the prompts of the
    /// last <see cref="ShadowTraffic"/> requests that stored theirs.
    /// </summary>
    public async Task<IReadOnlyList<RuleShadow>> ShadowsAsync(RuleSetDefinition draft, TimeSpan regexTimeout, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var stored = await db.RequestLog.AsNoTracking()
            .OrderByDescending(r => r.Id)
            .Take(ShadowTraffic)
            .Where(r => r.RoutingInput != null)
            .Select(r => r.RoutingInput)
            .ToListAsync(cancellationToken);
        var traffic = stored.Select(RoutingInput.FromJson).OfType<RoutingInput>().ToList();
        return RuleShadowing.Check(draft, traffic, tokens, regexTimeout);
    }

    /// <exception cref="RoutingConfigException">The draft does not compile.</exception>
    public async Task<LabelledComparison> CheckAsync(RuleSetDefinition draft, IReadOnlyList<LabelledPrompt> prompts, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var draftSnapshot = await ruleSets.CompileAsync(draft, 0, cancellationToken);
        var published = routing.Current;
        var draftOutcomes = new List<(string, string)>(prompts.Count);
        var publishedOutcomes = new List<(string, string)>(prompts.Count);
        var misses = new List<LabelledMiss>();
        for (var i = 0; i < prompts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = prompts[i];
            var input = new RoutingInput(item.Prompt, 1, false, new Dictionary<string, string>(), [], tokens.CountTokens(item.Prompt) + 6);
            var byDraft = await DecideAsync(draftSnapshot, input, cancellationToken);
            var byPublished = await DecideAsync(published, input, cancellationToken);
            draftOutcomes.Add((item.ExpectedTier, byDraft.Tier));
            publishedOutcomes.Add((item.ExpectedTier, byPublished.Tier));
            if (byDraft.Tier != item.ExpectedTier || byPublished.Tier != item.ExpectedTier)
            {
                misses.Add(new LabelledMiss(item.Line, item.Prompt, item.ExpectedTier, byDraft.Tier, byPublished.Tier));
            }

            if (i % 25 == 0)
            {
                progress?.Report(i);
            }
        }

        progress?.Report(prompts.Count);
        return new LabelledComparison(new LabelledCheckResult(published.Tiers, draftOutcomes), new LabelledCheckResult(published.Tiers, publishedOutcomes), misses);
    }

    /// <summary>
    /// Scores every labelled prompt against the draft's semantic examples (its rules and any LLM are not asked) and
    /// reads off accuracy and coverage at every threshold, with the threshold to suggest.
    /// </summary>
    /// <exception cref="RoutingConfigException">The draft's semantic classifier does not compile.</exception>
    /// <exception cref="CostConsole.Routing.Embeddings.EmbeddingException">The vectoriser could not run.</exception>
    public async Task<ThresholdCheck> ThresholdAsync(RuleSetDefinition draft, IReadOnlyList<LabelledPrompt> prompts, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var semanticOnly = draft with { Classifier = draft.Classifier with { Kind = ClassifierKind.Semantic } };
        var snapshot = await ruleSets.CompileAsync(semanticOnly, 0, cancellationToken);
        var probe = (CostConsole.Routing.Classification.IThresholdProbe)snapshot.Classifier;
        var examples = (draft.Classifier.Semantic?.Examples.Values ?? []).SelectMany(e => e).Select(e => e.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var samples = new List<ThresholdSample>(prompts.Count);
        var leftOut = 0;
        for (var i = 0; i < prompts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = prompts[i];
            if (examples.Contains(item.Prompt.Trim()))
            {
                leftOut++;
                continue;
            }

            var input = new RoutingInput(item.Prompt, 1, false, new Dictionary<string, string>(), [], tokens.CountTokens(item.Prompt) + 6);
            using var request = input.ToRequest(tokens);
            samples.Add(new ThresholdSample(item.ExpectedTier, await probe.NearestAsync(request, cancellationToken)));
            if (i % 25 == 0)
            {
                progress?.Report(i);
            }
        }

        progress?.Report(prompts.Count);
        return new ThresholdCheck(samples.Count == 0 ? null : ThresholdCurve.From(samples, draft.DefaultTier), leftOut, probe.Threshold);
    }

    /// <summary>
    /// Re-decides the last <paramref name="last"/> answered requests with the draft and with the published set,
    /// pricing each with the tokens it actually used at the price in force at its time. Requests whose prompt
    /// was not stored cannot be re-decided and are counted as skipped.
    /// </summary>
    /// <exception cref="RoutingConfigException">The draft does not compile.</exception>
    public async Task<DryRunResult> DryRunAsync(RuleSetDefinition draft, int last, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var draftSnapshot = await ruleSets.CompileAsync(draft, 0, cancellationToken);
        var published = routing.Current;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.RequestLog.AsNoTracking()
            .Where(r => r.Status == 0)
            .OrderByDescending(r => r.Id)
            .Take(Math.Clamp(last, 1, MaxDryRun))
            .Select(r => new { r.Timestamp, r.RoutingInput, r.PromptTokens, r.CachedTokens, r.CompletionTokens })
            .ToListAsync(cancellationToken);

        var run = new DryRunAccumulator(published.Tiers);
        var skipped = 0;
        var cancelled = false;
        for (var i = 0; i < rows.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }

            var row = rows[i];
            if (RoutingInput.FromJson(row.RoutingInput) is not { } input)
            {
                skipped++;
                continue;
            }

            var usage = new TokenUsage(row.PromptTokens, row.CachedTokens, row.CompletionTokens);
            await run.AddAsync(draftSnapshot, published, input, usage, row.Timestamp, DecideAsync, cancellationToken);
            if (i % 50 == 0)
            {
                progress?.Report((i, rows.Count));
            }
        }

        progress?.Report((rows.Count, rows.Count));
        return run.Result(skipped, cancelled);
    }

    /// <summary>Dry-run on an uploaded workload: one prompt per line, or JSONL with a "prompt" field; completions are assumed at the recent average.</summary>
    /// <exception cref="LabelledSetException">The workload cannot be read.</exception>
    public async Task<DryRunResult> DryRunWorkloadAsync(RuleSetDefinition draft, string workload, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var prompts = ReadWorkload(workload);
        var draftSnapshot = await ruleSets.CompileAsync(draft, 0, cancellationToken);
        var published = routing.Current;
        var completions = await AverageCompletionTokensAsync(cancellationToken);
        var run = new DryRunAccumulator(published.Tiers);
        var now = time.GetUtcNow();
        var cancelled = false;
        for (var i = 0; i < prompts.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }

            var promptTokens = tokens.CountTokens(prompts[i]) + 6L;
            var input = new RoutingInput(prompts[i], 1, false, new Dictionary<string, string>(), [], promptTokens);
            // The draft's and the published model may differ; each is assumed to answer at its own recent average.
            await run.AddAsync(draftSnapshot, published, input, model => new TokenUsage(promptTokens, 0, completions.GetValueOrDefault(model, DefaultCompletionTokens)), now, DecideAsync, cancellationToken);
            if (i % 50 == 0)
            {
                progress?.Report((i, prompts.Count));
            }
        }

        progress?.Report((prompts.Count, prompts.Count));
        return run.Result(0, cancelled);
    }

    internal static IReadOnlyList<string> ReadWorkload(string workload)
    {
        var prompts = new List<string>();
        var lines = workload.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('{'))
            {
                try
                {
                    using var document = JsonDocument.Parse(line);
                    if (!document.RootElement.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String)
                    {
                        throw new LabelledSetException($"Line {i + 1}: a JSON line needs a string \"prompt\" field.");
                    }

                    prompts.Add(prompt.GetString()!);
                }
                catch (JsonException ex)
                {
                    throw new LabelledSetException($"Line {i + 1} is not valid JSON: {ex.Message}");
                }
            }
            else
            {
                prompts.Add(line);
            }
        }

        if (prompts.Count == 0)
        {
            throw new LabelledSetException("The workload is empty: one prompt per line, or JSON lines with a \"prompt\" field.");
        }

        return prompts.Count <= MaxDryRun ? prompts : throw new LabelledSetException($"The workload has {prompts.Count:N0} prompts; at most {MaxDryRun:N0} at once.");
    }

    private async Task<BenchSide> SideAsync(RoutingSnapshot snapshot, string body, string? tags, IReadOnlyDictionary<string, long> completions, CancellationToken cancellationToken)
    {
        using var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), tags, tokens);
        var decision = await snapshot.DecideAsync(request, cancellationToken);
        var assumed = completions.GetValueOrDefault(decision.Model.Key, DefaultCompletionTokens);
        var usage = new TokenUsage(request.PromptTokens, 0, assumed);
        var now = time.GetUtcNow();
        return new BenchSide(
            decision,
            request.PromptTokens,
            assumed,
            CostCalculator.Cost(snapshot.Prices, decision.Model.Key, now, usage),
            snapshot.Baseline is { } baseline ? CostCalculator.Cost(snapshot.Prices, baseline.Key, now, usage) : null,
            snapshot.Baseline?.Model.Id);
    }

    private async Task<RoutingDecision> DecideAsync(RoutingSnapshot snapshot, RoutingInput input, CancellationToken cancellationToken)
    {
        using var request = input.ToRequest(tokens);
        return await snapshot.DecideAsync(request, cancellationToken);
    }

    /// <summary>Average completion tokens per model over recent answered requests: what the bench assumes an answer costs.</summary>
    private async Task<IReadOnlyDictionary<string, long>> AverageCompletionTokensAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var recent = db.RequestLog.AsNoTracking().Where(r => r.Status == 0 && r.Model != null).OrderByDescending(r => r.Id).Take(2000);
        var averages = await recent.GroupBy(r => r.Model!).Select(g => new { Model = g.Key, Average = g.Average(r => (double)r.CompletionTokens) }).ToListAsync(cancellationToken);
        return averages.ToDictionary(a => a.Model, a => (long)Math.Round(a.Average));
    }

    private sealed class DryRunAccumulator(IReadOnlyList<string> tiers)
    {
        private const int KeepChanges = 50;
        private readonly Dictionary<string, int> _draftMix = tiers.ToDictionary(t => t, _ => 0);
        private readonly Dictionary<string, int> _publishedMix = tiers.ToDictionary(t => t, _ => 0);
        private readonly List<DryRunChange> _changes = [];
        private decimal _draftCost;
        private decimal _publishedCost;
        private decimal _baseline;
        private int _changed;
        private int _considered;

        public Task AddAsync(
            RoutingSnapshot draft,
            RoutingSnapshot published,
            RoutingInput input,
            TokenUsage usage,
            DateTimeOffset at,
            Func<RoutingSnapshot, RoutingInput, CancellationToken, Task<RoutingDecision>> decide,
            CancellationToken cancellationToken) =>
            AddAsync(draft, published, input, _ => usage, at, decide, cancellationToken);

        public async Task AddAsync(
            RoutingSnapshot draft,
            RoutingSnapshot published,
            RoutingInput input,
            Func<string, TokenUsage> usageFor,
            DateTimeOffset at,
            Func<RoutingSnapshot, RoutingInput, CancellationToken, Task<RoutingDecision>> decide,
            CancellationToken cancellationToken)
        {
            var byDraft = await decide(draft, input, cancellationToken);
            var byPublished = await decide(published, input, cancellationToken);
            var draftUsage = usageFor(byDraft.Model.Key);
            var publishedUsage = usageFor(byPublished.Model.Key);
            var draftCost = CostCalculator.Cost(draft.Prices, byDraft.Model.Key, at, draftUsage) ?? 0m;
            var publishedCost = CostCalculator.Cost(published.Prices, byPublished.Model.Key, at, publishedUsage) ?? 0m;
            var baseline = published.Baseline is { } b ? CostCalculator.Cost(published.Prices, b.Key, at, publishedUsage) ?? publishedCost : publishedCost;

            _considered++;
            _draftMix[byDraft.Tier]++;
            _publishedMix[byPublished.Tier]++;
            _draftCost += draftCost;
            _publishedCost += publishedCost;
            _baseline += baseline;
            if (byDraft.Tier != byPublished.Tier)
            {
                _changed++;
                if (_changes.Count < KeepChanges)
                {
                    _changes.Add(new DryRunChange(at, input.LastUserText, byPublished.Tier, byDraft.Tier, publishedCost, draftCost));
                }
            }
        }

        public DryRunResult Result(int skipped, bool cancelled) =>
            new(_considered, skipped, _publishedMix, _draftMix, _publishedCost, _draftCost, _baseline, _changed, _changes, cancelled);
    }
}
