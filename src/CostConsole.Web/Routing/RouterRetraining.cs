using System.Globalization;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Routing;

/// <summary><c>CostConsole:Router:Retrain</c>: when and on how much of the ledger the router retrains itself.</summary>
public sealed class RouterRetrainOptions
{
    public const string Section = "CostConsole:Router:Retrain";

    /// <summary>How often scheduled retraining runs (e.g. <c>1.00:00:00</c> for daily); unset or zero: only on demand.</summary>
    public TimeSpan? Schedule { get; set; }

    /// <summary>How far back a retraining run reads the ledger.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The fewest labelled requests a retraining run proposes a model from.</summary>
    public int MinimumExamples { get; set; } = 40;

    /// <summary>How long one instance holds the retraining lease.</summary>
    public double LeaseSeconds { get; set; } = 600;
}

/// <summary>One side of a proposal's comparison on the held-out traffic.</summary>
public sealed record ProposalFigures(double Quality, double RelativeCost, IReadOnlyList<double> Shares, double LiftOverRandom, double? Apgr);

/// <summary>The proposed model and the published router side by side on the same held-out part of the recent ledger traffic.</summary>
public sealed record ProposalComparison(
    IReadOnlyList<string> Tiers, int TrainExamples, int HeldOutExamples, double QualityTarget, ProposalFigures Proposed, ProposalFigures Published, string PublishedLabel, bool Beats);

public sealed record RouterProposalView(
    long Id,
    string Model,
    string? PublishedModel,
    RouterProposalState State,
    string Trigger,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset From,
    DateTimeOffset To,
    LedgerTrainingSummary Data,
    ProposalComparison Comparison,
    string? Verdict,
    DateTimeOffset? DecidedAt,
    string? DecidedBy);

/// <summary>What a retraining run did: a proposal (maybe published), or why there is none.</summary>
public sealed record RetrainResult(RouterProposalView? Proposal, string Message, int? MoreNeeded = null, bool Published = false);

/// <summary>
/// Retraining from the ledger. A run trains on the labelled requests of a window, stores the model as a new
/// version and records a <em>proposal</em> with its held-out figures beside the published router's. A person uses
/// it in the draft or dismisses it; only when an admin has turned auto-publish on, and the proposal beats the
/// published router (<see cref="BeatsRule"/>), is it written into a new rule set version and published, audited.
/// </summary>
public sealed class RouterRetraining(
    IDbContextFactory<CostConsoleDbContext> factory,
    LedgerTrainingData ledger,
    RouterTrainingService training,
    TrainedModelService models,
    RuleSetService ruleSets,
    RoutingState routing,
    IOptions<RouterRetrainOptions> options,
    TimeProvider time)
{
    public const string ModelName = "ledger-router";

    public const string BeatsRule =
        "on the held-out part of the recent ledger traffic, at least the published router's quality at no more cost, and better by at least 0.5 quality points or 1 % of cost";

    /// <summary>Raised after a proposal is added or changes state.</summary>
    public event Action? Changed;

    public int MinimumExamples => Math.Max(options.Value.MinimumExamples, 10);

    /// <summary>Retrains on the ledger between <paramref name="from"/> and <paramref name="to"/> and records a proposal.</summary>
    /// <exception cref="LabelledFileException">The range is empty or holds no labelled requests.</exception>
    public async Task<RetrainResult> ProposeAsync(DateTimeOffset from, DateTimeOffset to, string trigger, string actor, CancellationToken cancellationToken = default)
    {
        var (set, summary) = await ledger.ReadAsync(from, to, cancellationToken);
        if (set.Examples.Count < MinimumExamples)
        {
            var more = MinimumExamples - set.Examples.Count;
            return new RetrainResult(null, $"{set.Examples.Count} labelled requests in this range; retraining needs {more} more labelled requests (at least {MinimumExamples}) before it proposes a model.", more);
        }

        var snapshot = routing.Current;
        var live = snapshot.Classifier as ITrainedClassifier;
        var target = live?.Definition.QualityTarget ?? TrainedClassifierDefinition.DefaultQualityTarget;
        var report = await Task.Run(() => training.Train(set, new RouterTrainingSettings { Name = ModelName, QualityTarget = target }, null, cancellationToken), cancellationToken);
        var comparison = Compare(report, target);
        var stored = await models.StoreAsync(report.Model, actor, cancellationToken);
        var verdict = comparison.Beats
            ? $"Beats the published router: quality {Percent(comparison.Proposed.Quality)} against {Percent(comparison.Published.Quality)}, cost {Percent(comparison.Proposed.RelativeCost)} against {Percent(comparison.Published.RelativeCost)} of all-{comparison.Tiers[^1]}."
            : $"Does not beat the published router ({BeatsRule}): quality {Percent(comparison.Proposed.Quality)} against {Percent(comparison.Published.Quality)}, cost {Percent(comparison.Proposed.RelativeCost)} against {Percent(comparison.Published.RelativeCost)}.";

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = new RouterProposalEntity
        {
            Model = stored.Reference,
            PublishedModel = report.PublishedModel,
            State = RouterProposalState.Proposed,
            Trigger = trigger,
            CreatedBy = actor,
            CreatedAt = time.GetUtcNow(),
            From = from,
            To = to,
            DataJson = JsonSerializer.Serialize(summary, RouterTraining.JsonOptions),
            ComparisonJson = JsonSerializer.Serialize(comparison, RouterTraining.JsonOptions),
            Verdict = verdict,
        };
        db.RouterProposals.Add(row);
        db.AuditLog.Add(new AuditLogEntity { At = row.CreatedAt, Actor = actor, Action = "router.propose", Subject = $"trained model {stored.Reference}", Details = $"{trigger}; {set.Examples.Count} ledger examples; {verdict}" });
        await db.SaveChangesAsync(cancellationToken);

        var published = false;
        var message = $"Proposed {stored.Reference}. {verdict}";
        if (comparison.Beats && await AutoPublishAsync(cancellationToken))
        {
            (published, var why) = await PublishAsync(row.Id, stored.Reference, verdict, cancellationToken);
            message += " " + why;
        }

        Changed?.Invoke();
        return new RetrainResult((await ListAsync(cancellationToken)).First(p => p.Id == row.Id), message, null, published);
    }

    public async Task<IReadOnlyList<RouterProposalView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.RouterProposals.AsNoTracking().OrderByDescending(p => p.Id).Take(50).ToListAsync(cancellationToken);
        return [.. rows.Select(View)];
    }

    /// <summary>Sets the proposal's model as the draft's trained classifier (keeping the draft's operating point); publishing stays a person's step.</summary>
    public async Task<(bool Done, string Message)> UseInDraftAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RouterProposals.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null || row.State is not (RouterProposalState.Proposed or RouterProposalState.UsedInDraft))
        {
            return (false, row is null ? $"There is no proposal {id}." : $"Proposal {id} is {Describe(row.State)}; retrain for a new one.");
        }

        var draft = await ruleSets.DraftAsync(actor, cancellationToken);
        var saved = await ruleSets.SaveDraftAsync(WithModel(draft.Definition, row.Model), draft.ConcurrencyStamp, actor, cancellationToken);
        if (!saved.Done)
        {
            return (false, $"The draft was not changed: {saved.Summary}");
        }

        return await MarkUsedInDraftAsync(id, actor, cancellationToken);
    }

    /// <summary>Records that the console saved the proposal's model into the draft (the page saves the draft itself, with its own stamp).</summary>
    public async Task<(bool Done, string Message)> MarkUsedInDraftAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RouterProposals.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null)
        {
            return (false, $"There is no proposal {id}.");
        }

        row.State = RouterProposalState.UsedInDraft;
        row.DecidedAt = time.GetUtcNow();
        row.DecidedBy = actor;
        db.AuditLog.Add(new AuditLogEntity { At = row.DecidedAt.Value, Actor = actor, Action = "router.proposal.use", Subject = $"trained model {row.Model}", Details = $"proposal {id} set as the draft's classifier" });
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke();
        return (true, $"{row.Model} is now the draft's classifier. Check the diff and publish to make it live.");
    }

    public async Task<(bool Done, string Message)> DismissAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RouterProposals.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null || row.State != RouterProposalState.Proposed)
        {
            return (false, row is null ? $"There is no proposal {id}." : $"Proposal {id} is {Describe(row.State)}, not waiting.");
        }

        row.State = RouterProposalState.Dismissed;
        row.DecidedAt = time.GetUtcNow();
        row.DecidedBy = actor;
        db.AuditLog.Add(new AuditLogEntity { At = row.DecidedAt.Value, Actor = actor, Action = "router.proposal.dismiss", Subject = $"trained model {row.Model}", Details = $"proposal {id}" });
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke();
        return (true, $"Proposal {id} dismissed.");
    }

    public async Task<bool> AutoPublishAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.RouterLearning.AsNoTracking().Where(l => l.Id == RouterLearningEntity.SingletonId).Select(l => l.AutoPublish).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Turns auto-publish on or off; audited.</summary>
    public async Task SetAutoPublishAsync(bool on, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RouterLearning.FirstOrDefaultAsync(l => l.Id == RouterLearningEntity.SingletonId, cancellationToken);
        if (row is null)
        {
            row = new RouterLearningEntity();
            db.RouterLearning.Add(row);
        }

        var now = time.GetUtcNow();
        row.AutoPublish = on;
        row.UpdatedAt = now;
        row.UpdatedBy = actor;
        db.AuditLog.Add(new AuditLogEntity
        {
            At = now,
            Actor = actor,
            Action = on ? "router.auto-publish.on" : "router.auto-publish.off",
            Subject = "router retraining",
            Details = on ? $"retrained models are published when they beat the published router: {BeatsRule}" : "retrained models stay proposals until a person publishes them",
        });
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke();
    }

    /// <summary>Takes (or renews) the scheduled-retraining lease for <paramref name="owner"/>; false when another instance holds it or ran recently enough.</summary>
    public async Task<bool> TryLeaseAsync(string owner, TimeSpan interval, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!await db.RouterLearning.AnyAsync(l => l.Id == RouterLearningEntity.SingletonId, cancellationToken))
        {
            db.RouterLearning.Add(new RouterLearningEntity());
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another instance created the row at the same moment: fine, it exists.
            }
        }

        var now = time.GetUtcNow();
        var due = now - interval + TimeSpan.FromSeconds(1);
        var until = now + TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        var taken = await db.RouterLearning
            .Where(l => l.Id == RouterLearningEntity.SingletonId && (l.LeaseOwner == null || l.LeaseOwner == owner || l.LeaseExpiresAt < now) && (l.LastRunAt == null || l.LastRunAt < due))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.LeaseOwner, owner).SetProperty(l => l.LeaseExpiresAt, until).SetProperty(l => l.LastRunAt, now), cancellationToken);
        return taken == 1;
    }

    public async Task ReleaseLeaseAsync(string owner, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.RouterLearning.Where(l => l.Id == RouterLearningEntity.SingletonId && l.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.LeaseOwner, (string?)null).SetProperty(l => l.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
    }

    /// <summary>Proposed beside published on the same held-out examples, and whether it beats it by <see cref="BeatsRule"/>.</summary>
    internal static ProposalComparison Compare(RouterTrainingReport report, double target)
    {
        var evaluation = report.Evaluation;
        var proposed = Figures(evaluation.Operating, evaluation.GapRecovered?.Apgr);
        ProposalFigures published;
        string label;
        if (report.PublishedModelEvaluation is { } model)
        {
            published = Figures(model.Operating, model.GapRecovered?.Apgr);
            label = $"published model {report.PublishedModel}";
        }
        else
        {
            published = Figures(evaluation.Published!, null);
            label = "published router";
        }

        return new ProposalComparison(evaluation.Tiers, report.TrainExamples, report.HeldOutExamples, target, proposed, published, label, Beats(proposed, published));
    }

    internal static bool Beats(ProposalFigures proposed, ProposalFigures published) =>
        proposed.Quality >= published.Quality - 1e-9
        && proposed.RelativeCost <= published.RelativeCost + 1e-9
        && (proposed.Quality >= published.Quality + 0.005 || proposed.RelativeCost <= published.RelativeCost * 0.99);

    private static ProposalFigures Figures(RoutingPoint point, double? apgr) =>
        new(Math.Round(point.Quality, 4), Math.Round(point.RelativeCost, 4), [.. point.Shares.Select(s => Math.Round(s, 4))], Math.Round(point.LiftOverRandom, 4), apgr is { } a ? Math.Round(a, 4) : null);

    /// <summary>Writes the model into a new rule set version from the published one and publishes it, unless someone's draft is waiting.</summary>
    private async Task<(bool Published, string Why)> PublishAsync(long id, string model, string verdict, CancellationToken cancellationToken)
    {
        const string actor = "auto-publish";
        var draft = await ruleSets.DraftAsync(actor, cancellationToken);
        if (draft.Status == RuleSetStatus.Draft)
        {
            return (false, "Auto-publish is on, but a draft with unpublished changes is waiting; it stays a proposal so nobody's unfinished changes go live.");
        }

        var saved = await ruleSets.SaveDraftAsync(WithModel(draft.Definition, model), draft.ConcurrencyStamp, actor, cancellationToken);
        if (!saved.Done)
        {
            return (false, $"Auto-publish could not write it into a rule set: {saved.Summary}");
        }

        var note = $"auto-publish: retrained {model} from the ledger. {verdict} Rule: {BeatsRule}.";
        var published = await ruleSets.PublishAsync(saved.Version!.ConcurrencyStamp, note, actor, cancellationToken);
        if (!published.Done)
        {
            await ruleSets.DiscardDraftAsync(saved.Version.ConcurrencyStamp, cancellationToken);
            return (false, $"Auto-publish could not publish it: {published.Summary}");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.RouterProposals.Where(p => p.Id == id).ExecuteUpdateAsync(
            s => s.SetProperty(p => p.State, RouterProposalState.Published).SetProperty(p => p.DecidedAt, time.GetUtcNow()).SetProperty(p => p.DecidedBy, actor), cancellationToken);
        return (true, $"Auto-publish published it as rule set version {published.Version!.Version}.");
    }

    /// <summary>The definition with <paramref name="model"/> as its trained classifier, keeping its operating point and exploration share.</summary>
    public static RuleSetDefinition WithModel(RuleSetDefinition definition, string model)
    {
        var trained = (definition.Classifier.Trained ?? new TrainedClassifierDefinition()) with { Model = model };
        return definition with { Classifier = definition.Classifier with { Kind = ClassifierKind.Trained, Trained = trained } };
    }

    private static RouterProposalView View(RouterProposalEntity p) => new(
        p.Id,
        p.Model,
        p.PublishedModel,
        p.State,
        p.Trigger,
        p.CreatedBy,
        p.CreatedAt,
        p.From,
        p.To,
        JsonSerializer.Deserialize<LedgerTrainingSummary>(p.DataJson, RouterTraining.JsonOptions)!,
        JsonSerializer.Deserialize<ProposalComparison>(p.ComparisonJson, RouterTraining.JsonOptions)!,
        p.Verdict,
        p.DecidedAt,
        p.DecidedBy);

    private static string Describe(RouterProposalState state) => state switch
    {
        RouterProposalState.UsedInDraft => "already in the draft",
        RouterProposalState.Dismissed => "dismissed",
        RouterProposalState.Published => "already published",
        _ => "waiting",
    };

    internal static string Percent(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
