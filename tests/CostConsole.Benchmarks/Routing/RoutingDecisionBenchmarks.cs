using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Routing;

public enum RuleOutcome
{
    /// <summary>No rule matches: all 200 are evaluated, then the classifier answers.</summary>
    NoRuleMatches,

    /// <summary>Rule #100 matches: half the rule set is evaluated.</summary>
    MiddleRuleFires,
}

/// <summary>
/// Deciding a 2,000-character support ticket against a 200-rule set: the decision alone on a parsed request,
/// parsing alone, token counting alone, and parse + decide together (what the endpoint pays per request).
/// </summary>
[Config(typeof(Columns))]
[MemoryDiagnoser]
public class RoutingDecisionBenchmarks
{
    private RoutingSnapshot _snapshot = null!;
    private ChatRequest _parsed = null!;
    private byte[] _body = null!;

    [Params(RuleOutcome.NoRuleMatches, RuleOutcome.MiddleRuleFires)]
    public RuleOutcome Outcome { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = SupportWorkload.Compile(Outcome == RuleOutcome.MiddleRuleFires);
        _body = SupportWorkload.RequestBody();
        _parsed = Parse();
        SupportWorkload.Check(_snapshot, _parsed, Outcome);
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed.Dispose();

    /// <summary>The decision on a parsed request; its token count is cached after the first call, as within one request.</summary>
    [Benchmark(Baseline = true)]
    public RoutingDecision Decide() => _snapshot.DecideAsync(_parsed).Result;

    [Benchmark]
    public long CountPromptTokens()
    {
        long total = 3;
        foreach (var turn in _parsed.Messages)
        {
            total += O200kTokenCounter.Instance.CountTokens(turn.Text) + 3;
        }

        return total;
    }

    [Benchmark]
    public int ParseOnly()
    {
        using var request = Parse();
        return request.UserTurns;
    }

    /// <summary>A fresh request each time, so this includes counting its tokens for the token-range rules.</summary>
    [Benchmark]
    public RoutingDecision ParseAndDecide()
    {
        using var request = Parse();
        return _snapshot.DecideAsync(request).Result;
    }

    private ChatRequest Parse() => ChatRequestParser.Parse(_body, null, O200kTokenCounter.Instance);

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Median, StatisticColumn.P95, new PercentileColumn(99));
    }
}
