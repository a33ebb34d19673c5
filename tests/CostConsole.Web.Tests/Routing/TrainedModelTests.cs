using System.Text;
using System.Text.Json;
using CostConsole.Data.Learning;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Routing;

public sealed class TrainedModelTests : IAsyncLifetime
{
    private CatalogueDatabase _db = null!;

    public async ValueTask InitializeAsync() => _db = await CatalogueDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private TrainedModelService Models => new(_db.Factory, TimeProvider.System);

    private TrainedRouterModel Train(string name)
    {
        var training = new RouterTrainingService(_db.Routing, O200kTokenCounter.Instance, TimeProvider.System);
        var set = training.Read(new MemoryStream(Encoding.UTF8.GetBytes(TrainingExamples.Csv())), "parcels.csv", null);
        var report = training.Train(set, new RouterTrainingSettings { Name = name });
        Assert.Equal(report.TrainExamples, report.Model.Summary!.Examples);
        return report.Model;
    }

    private async Task PublishAsync(string model, double target, string note)
    {
        var draft = await _db.RuleSets.DraftAsync("alice");
        var classifier = draft.Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = new TrainedClassifierDefinition { Model = model, QualityTarget = target } };
        var saved = await _db.RuleSets.SaveDraftAsync(draft.Definition with { Classifier = classifier }, draft.ConcurrencyStamp, "alice");
        Assert.True(saved.Done, saved.Summary);
        var published = await _db.RuleSets.PublishAsync(saved.Version!.ConcurrencyStamp, note, "alice");
        Assert.True(published.Done, published.Summary);
    }

    private async Task<(string Tier, double? Score, string Reason)> DecideAsync(string prompt)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        using var request = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance);
        var decision = await _db.Routing.Current.DecideAsync(request, TestContext.Current.CancellationToken);
        return (decision.Tier, decision.ClassifierScore, decision.Reason);
    }

    [Fact]
    public async Task A_stored_model_comes_back_as_it_was_with_who_trained_it_and_each_store_of_a_name_is_its_next_version()
    {
        var model = Train("Parcels");

        var first = await Models.StoreAsync(model, "alice");
        var second = await Models.StoreAsync(model, "bob");
        var other = await Models.StoreAsync(model with { Name = "returns" }, "alice");

        Assert.Equal(("parcels@1", "parcels@2", "returns@1"), (first.Reference, second.Reference, other.Reference));
        var loaded = await _db.QueryAsync(db => TrainedModelStore.ReferencedAsync(db, new RuleSetDefinition
        {
            DefaultTier = "medium",
            Classifier = new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = "parcels@2" } },
        }));
        var back = Assert.Single(loaded).Value;
        Assert.Equal(second.ToJson(), back.ToJson());
        Assert.Equal("parcels.csv", back.Summary!.Source);
        var listed = await Models.ListAsync();
        Assert.Equal(["parcels@1", "parcels@2", "returns@1"], listed.Select(m => m.Reference).Order());
        Assert.Equal("bob", listed.Single(m => m.Reference == "parcels@2").TrainedBy);
        Assert.Contains("apgr", listed[0].MetricsJson, StringComparison.Ordinal);
        var audit = await _db.RuleSets.AuditAsync();
        Assert.Contains(audit, a => a is { Action: "trained-model.store", Actor: "bob", Subject: "trained model parcels@2" });
    }

    [Fact]
    public async Task A_stored_model_never_takes_the_version_of_a_shipped_model_of_the_same_name()
    {
        var stored = await Models.StoreAsync(Train("shipped-support"), "alice");

        Assert.Equal("shipped-support@2", stored.Reference);
    }

    [Fact]
    public async Task A_published_rule_set_naming_a_stored_model_decides_with_it_and_rolling_back_finds_the_older_version_again()
    {
        var model = Train("parcels");
        var v1 = await Models.StoreAsync(model, "alice");
        var v2 = await Models.StoreAsync(model, "alice");

        await PublishAsync(v1.Reference, 0.8, "trained router for parcel questions");
        var (tier, score, reason) = await DecideAsync(TrainingExamples.SmallPrompt);
        Assert.Equal("small", tier);
        Assert.NotNull(score);
        Assert.Contains("trained parcels@1: P(acceptable) small ", reason, StringComparison.Ordinal);
        Assert.Equal("large", (await DecideAsync(TrainingExamples.LargePrompt)).Tier);

        await PublishAsync(v2.Reference, 0.8, "newer version");
        Assert.Contains("trained parcels@2:", (await DecideAsync(TrainingExamples.SmallPrompt)).Reason, StringComparison.Ordinal);

        var rolledBack = await _db.RuleSets.RollbackAsync(2, "alice");

        Assert.True(rolledBack.Done, rolledBack.Summary);
        Assert.Equal(4, _db.Routing.Current.RuleSetVersion);
        Assert.Contains("trained parcels@1:", (await DecideAsync(TrainingExamples.SmallPrompt)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelling_training_stops_it_before_a_model_is_made()
    {
        var training = new RouterTrainingService(_db.Routing, O200kTokenCounter.Instance, TimeProvider.System);
        var set = training.Read(new MemoryStream(Encoding.UTF8.GetBytes(TrainingExamples.Csv())), "parcels.csv", null);
        using var cancel = new CancellationTokenSource();
        var reports = new List<double>();

        // The Cancel button's token, pressed as soon as training reports its first progress.
        Assert.ThrowsAny<OperationCanceledException>(() => training.Train(set, new RouterTrainingSettings { Name = "parcels" }, new CancelOnReport(cancel, reports), cancel.Token));

        Assert.DoesNotContain(1.0, reports);
    }

    /// <summary>Reports progress on the training thread itself, so the cancellation lands while training runs.</summary>
    private sealed class CancelOnReport(CancellationTokenSource cancel, List<double> reports) : IProgress<double>
    {
        public void Report(double value)
        {
            reports.Add(value);
            cancel.Cancel();
        }
    }

    [Fact]
    public async Task A_draft_naming_a_model_that_was_never_stored_is_refused_and_says_which_models_exist()
    {
        var draft = await _db.RuleSets.DraftAsync("alice");
        var classifier = draft.Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = new TrainedClassifierDefinition { Model = "parcels@9" } };

        var result = await _db.RuleSets.SaveDraftAsync(draft.Definition with { Classifier = classifier }, draft.ConcurrencyStamp, "alice");

        Assert.False(result.Done);
        Assert.Contains(result.Errors, e => e.Contains("'parcels@9' does not exist", StringComparison.Ordinal));
    }
}
