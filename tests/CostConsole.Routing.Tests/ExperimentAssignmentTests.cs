using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;

namespace CostConsole.Routing.Tests;

public sealed class ExperimentAssignmentTests
{
    private static readonly TierMappingDefinition Variant = new("cheap small tier", new Dictionary<string, IReadOnlyList<string>>
    {
        ["small"] = ["mini"],
        ["medium"] = ["mini"],
        ["large"] = ["big", "big-backup"],
    });

    private static ExperimentDefinition Experiment(int controlWeight = 50, ExperimentScope? scope = null, AssignmentUnitKind unit = AssignmentUnitKind.Conversation, string salt = "salt-1", long id = 1, string name = "small tier") =>
        new(id, name, salt, unit, scope ?? ExperimentScope.All,
        [
            new ExperimentArmDefinition("control", controlWeight, TestRouting.Config([]).Mapping),
            new ExperimentArmDefinition("variant", 100 - controlWeight, Variant),
        ]);

    private static RoutingSnapshot Snapshot(params ExperimentDefinition[] experiments) =>
        SnapshotCompiler.Compile(TestRouting.Config([]) with { Experiments = experiments, KeyTeams = new Dictionary<long, string> { [7] = "support", [8] = "sales" } }, TestRouting.PriceStart.AddDays(1));

    [Fact]
    public void The_same_unit_always_gets_the_same_arm()
    {
        var weights = new[] { 50, 50 };
        for (var i = 0; i < 200; i++)
        {
            var first = ArmAssignment.Arm("salt", "conversation-" + i, weights);
            for (var repeat = 0; repeat < 5; repeat++)
            {
                Assert.Equal(first, ArmAssignment.Arm("salt", "conversation-" + i, weights));
            }
        }
    }

    [Theory]
    [InlineData(50)]
    [InlineData(90)]
    [InlineData(10)]
    public void The_split_over_ten_thousand_units_is_within_statistical_tolerance(int controlWeight)
    {
        const int units = 10_000;
        var control = Enumerable.Range(0, units).Count(i => ArmAssignment.Arm("exp-42", $"user-{i}", [controlWeight, 100 - controlWeight]) == 0);

        // Four standard deviations of a binomial count: a correct hash fails this about once in 16,000 runs.
        var p = controlWeight / 100.0;
        var tolerance = 4 * Math.Sqrt(units * p * (1 - p));
        Assert.InRange(control, units * p - tolerance, units * p + tolerance);
    }

    [Fact]
    public void Three_arms_each_get_their_share()
    {
        var counts = new int[3];
        for (var i = 0; i < 10_000; i++)
        {
            counts[ArmAssignment.Arm("three", $"key-{i}", [50, 25, 25])]++;
        }

        Assert.InRange(counts[0], 4800, 5200);
        Assert.InRange(counts[1], 2330, 2670);
        Assert.InRange(counts[2], 2330, 2670);
    }

    [Fact]
    public void Changing_the_salt_reassigns_units()
    {
        var changed = Enumerable.Range(0, 10_000).Count(i => ArmAssignment.Arm("salt-a", $"c{i}", [50, 50]) != ArmAssignment.Arm("salt-b", $"c{i}", [50, 50]));

        // Independent assignments disagree half the time.
        Assert.InRange(changed, 4600, 5400);
    }

    [Fact]
    public async Task An_enrolled_request_routes_with_its_arms_mapping_and_records_the_arm()
    {
        var snapshot = Snapshot(Experiment(controlWeight: 1));
        using var request = TestRouting.Request("hi", model: "small");

        var decision = (await snapshot.DecideAsync(request, new AssignmentUnit(1, null, null, "conv-1")));

        Assert.Equal(1, decision.ExperimentId);
        Assert.Equal("variant", decision.Arm);
        Assert.Equal("cheap small tier", decision.Mapping);
        Assert.Equal(["sim/mini", "sim/mini", "sim/big", "backup/big-backup"], decision.Candidates.Select(c => c.Key));
        Assert.Equal(["small", "medium", "large", "large"], decision.Candidates.Select(c => c.Tier));
        Assert.Contains(decision.Notes, n => n.Contains("arm variant", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conversation_never_switches_arms()
    {
        var snapshot = Snapshot(Experiment());
        var arms = new HashSet<string?>();
        for (var turn = 0; turn < 20; turn++)
        {
            using var request = TestRouting.Request($"question number {turn}", model: "small");
            arms.Add((await snapshot.DecideAsync(request, new AssignmentUnit(1, null, null, "conv-stable"))).Arm);
        }

        Assert.Single(arms);
    }

    [Fact]
    public async Task Requests_without_the_unit_pinned_to_a_model_or_out_of_scope_are_not_enrolled()
    {
        var snapshot = Snapshot(Experiment(scope: new ExperimentScope { Tiers = ["small"], Teams = ["support"] }));

        using var noConversation = TestRouting.Request("hi", model: "small");
        Assert.Null((await snapshot.DecideAsync(noConversation, new AssignmentUnit(7, null, null, null))).ExperimentId);

        using var pinned = TestRouting.Request("hi", model: "nano");
        Assert.Null((await snapshot.DecideAsync(pinned, new AssignmentUnit(7, null, null, "c"))).ExperimentId);

        using var otherTier = TestRouting.Request("hi", model: "large");
        Assert.Null((await snapshot.DecideAsync(otherTier, new AssignmentUnit(7, null, null, "c"))).ExperimentId);

        using var otherTeam = TestRouting.Request("hi", model: "small");
        Assert.Null((await snapshot.DecideAsync(otherTeam, new AssignmentUnit(8, null, null, "c"))).ExperimentId);

        using var inScope = TestRouting.Request("hi", model: "small");
        Assert.Equal(1, (await snapshot.DecideAsync(inScope, new AssignmentUnit(7, null, null, "c"))).ExperimentId);

        using var withoutUnit = TestRouting.Request("hi", model: "small");
        Assert.Null((await snapshot.DecideAsync(withoutUnit)).ExperimentId);
    }

    [Fact]
    public void A_split_that_does_not_add_up_and_overlapping_scopes_do_not_compile()
    {
        var bad = Experiment() with { Arms = [new("control", 60, Variant), new("variant", 60, Variant)] };
        var split = Assert.Throws<RoutingConfigException>(() => Snapshot(bad));
        Assert.Contains(split.Errors, e => e.Contains("add up to 100%, but adds up to 120%", StringComparison.Ordinal));

        var overlap = Assert.Throws<RoutingConfigException>(() => Snapshot(
            Experiment(scope: new ExperimentScope { Tiers = ["small"] }),
            Experiment(scope: new ExperimentScope { Tiers = ["small", "medium"] }, id: 2, name: "other")));
        Assert.Contains(overlap.Errors, e => e.Contains("both run on the requests of tier small", StringComparison.Ordinal));

        // Different tiers, or keys of different teams, do not compete.
        Snapshot(Experiment(scope: new ExperimentScope { Tiers = ["small"] }), Experiment(scope: new ExperimentScope { Tiers = ["large"] }, id: 2, name: "other"));
        Snapshot(Experiment(scope: new ExperimentScope { ApiKeyIds = [7] }), Experiment(scope: new ExperimentScope { Teams = ["sales"] }, id: 2, name: "other"));
    }

    [Fact]
    public void An_arm_naming_an_unknown_model_does_not_compile()
    {
        var broken = Experiment() with { Arms = [new("control", 50, Variant), new("variant", 50, new TierMappingDefinition("x", new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["nope"], ["medium"] = ["mini"], ["large"] = ["big"] }))] };
        var ex = Assert.Throws<RoutingConfigException>(() => Snapshot(broken));
        Assert.Contains(ex.Errors, e => e.StartsWith("Experiment 'small tier', arm 'variant': tier 'small' names model 'nope'", StringComparison.Ordinal));
    }
}
