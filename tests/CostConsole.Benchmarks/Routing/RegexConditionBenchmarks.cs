using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// One regex condition of the support rule set over the 2,000-character ticket, compiled as the rule
/// compiler does (Compiled, case-insensitive, 25 ms match timeout) and as the alternatives it could choose.
/// Shows which patterns dominate a decision and what each option would save.
/// </summary>
[MemoryDiagnoser]
public class RegexConditionBenchmarks
{
    private const RegexOptions RuleOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private Regex _asRulesCompile = null!;
    private Regex _withoutTimeout = null!;
    private Regex _nonBacktracking = null!;
    private string _ticket = null!;

    public static IEnumerable<string> PatternsInRuleSet => SupportWorkload.Patterns;

    [ParamsSource(nameof(PatternsInRuleSet))]
    public string Pattern { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _ticket = SupportWorkload.Ticket;
        _asRulesCompile = new Regex(Pattern, RuleOptions | RegexOptions.Compiled, TimeSpan.FromMilliseconds(25));
        _withoutTimeout = new Regex(Pattern, RuleOptions | RegexOptions.Compiled);
        _nonBacktracking = new Regex(Pattern, RuleOptions | RegexOptions.NonBacktracking);
    }

    [Benchmark(Baseline = true)]
    public bool AsRulesCompile() => _asRulesCompile.IsMatch(_ticket);

    [Benchmark]
    public bool CompiledWithoutTimeout() => _withoutTimeout.IsMatch(_ticket);

    [Benchmark]
    public bool NonBacktracking() => _nonBacktracking.IsMatch(_ticket);
}
