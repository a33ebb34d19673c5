using System.Globalization;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Escalation;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components.Routing;

/// <summary>
/// Tries the escalation policy being edited before it is saved: its gates on one pasted answer, and the whole
/// cascade on a labelled file with answers, with the quality-versus-share-escalated curve.
/// </summary>
public sealed partial class AnswerChecksPanel
{
    private const long MaxUploadBytes = 64L * 1024 * 1024;

    private static readonly ChartOptions CurveOptions = new()
    {
        Type = ChartType.Line,
        Format = ChartFormat.Percent,
        XAxis = ChartXAxis.Share,
        XTitle = "share answered by the large tier (escalated or routed there)",
        XLabel = "answered by the large tier",
        YTitle = "quality",
        Height = 320,
        NoData = "Evaluate a file to see the curve",
    };

    private string? _testTier;
    private string? _question;
    private string? _answer;
    private bool _testing;
    private string? _testError;
    private IReadOnlyList<GateResult>? _verdicts;

    private string? _smallTier;
    private string? _largeTier;
    private string? _smallModel;
    private string? _largeModel;
    private string? _file;
    private string? _fileName;
    private bool _evaluating;
    private string? _evaluateError;
    private EscalationEvaluationResult? _result;
    private int _resultVersion;
    private IReadOnlyList<ChartSeries> _curve = [];

    // Resolved when used, so the editor around this panel renders where only its own services are registered.
    [Inject]
    private IServiceProvider Services { get; set; } = null!;

    private RuleSetService RuleSets => Services.GetRequiredService<RuleSetService>();

    private EscalationEvaluator Evaluator => Services.GetRequiredService<EscalationEvaluator>();

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter, EditorRequired]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    /// <summary>The policy as the form holds it now.</summary>
    [Parameter, EditorRequired]
    public Func<EscalationPolicy> Policy { get; set; } = null!;

    protected override void OnParametersSet()
    {
        _testTier ??= Tiers.FirstOrDefault();
        _smallTier ??= Tiers.FirstOrDefault();
        _largeTier ??= Tiers.LastOrDefault();
    }

    private async Task TestAsync()
    {
        _testing = true;
        _testError = null;
        _verdicts = null;
        try
        {
            var snapshot = await RuleSets.CompileAsync(Definition with { Escalation = Policy() }, 0);
            var index = IndexOf(snapshot.Tiers, _testTier);
            if (snapshot.Escalation.For(index) is not { } gates)
            {
                _testError = $"Tier '{_testTier}' has its gates off: it accepts every answer.";
                return;
            }

            var verdicts = gates.Check(new AnswerFacts(_answer, "stop", null), _question, false, null, out _).Where(r => r.Gate != "confidence").ToList();
            if (gates.Definition.MinConfidence is not null)
            {
                verdicts.Add(new GateResult("confidence", true, "needs the answer's token probabilities; not checked on pasted text"));
            }

            if (gates.Definition.SelfConsistency is not null)
            {
                verdicts.Add(new GateResult("self-consistency", true, "calls the model again; not run here"));
            }

            if (gates.Definition.Judge is not null)
            {
                verdicts.Add(new GateResult("judge", true, "calls the judge model; not run here"));
            }

            _verdicts = verdicts;
        }
        catch (RoutingConfigException ex)
        {
            _testError = "The gates do not compile: " + string.Join(" ", ex.Errors);
        }
        finally
        {
            _testing = false;
        }
    }

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        var (text, error) = await BrowserFiles.ReadTextAsync(file, MaxUploadBytes);
        _file = text;
        _fileName = text is null ? null : file.Name;
        _evaluateError = error;
    }

    private async Task EvaluateAsync()
    {
        if (_file is null)
        {
            return;
        }

        _evaluating = true;
        _evaluateError = null;
        try
        {
            var tiers = new TierPair(_smallTier ?? "", (_smallModel ?? "").Trim(), _largeTier ?? "", (_largeModel ?? "").Trim());
            if (tiers.SmallModel.Length == 0 || tiers.LargeModel.Length == 0)
            {
                _evaluateError = "Name the model column that answered for each tier.";
                return;
            }

            // Parsing and checking thousands of answers is CPU work: keep it off the circuit's thread.
            var file = _file;
            var policy = Policy();
            var result = await Task.Run(() => Evaluator.EvaluateAsync(new StringReader(file), tiers, draft: true, policy));
            _result = result;
            _curve = Curve(result);
            _resultVersion++;
        }
        catch (EscalationEvaluationException ex)
        {
            _evaluateError = ex.Message;
        }
        finally
        {
            _evaluating = false;
        }
    }

    /// <summary>The random-escalation line, the curve of each scored gate, and one point per gate and for the policy.</summary>
    internal static IReadOnlyList<ChartSeries> Curve(EscalationEvaluationResult result)
    {
        static ChartPoint Point(double share, double quality) => new((long)Math.Round(share * 1000), quality);

        var series = new List<ChartSeries>
        {
            new("Random escalation", [Point(0, result.AllSmall.Quality), Point(1, result.AllLarge.Quality)]),
        };
        foreach (var gate in result.Gates.Where(g => g.Evaluated))
        {
            series.Add(gate.Curve is { Count: > 0 } curve
                ? new ChartSeries(gate.Gate + " (every threshold)", [.. curve.Select(p => Point(p.Share, p.Quality))])
                : new ChartSeries(gate.InPolicy ? gate.Gate : gate.Gate + " (off)", [Point(gate.ShareEscalated, gate.CascadeQuality)]));
        }

        series.Add(new ChartSeries("Whole policy", [Point(result.Policy.ShareEscalated, result.Policy.CascadeQuality)]));
        if (result.Routing is { } routing)
        {
            // The router's points share the axis: the share answered by the large tier, routed there or escalated.
            static IEnumerable<ChartPoint> Line(IReadOnlyList<RoutePoint> curve, RoutePoint operating) =>
                (curve.Count > 0 ? curve : [operating])
                    .GroupBy(p => Math.Round(p.LargeShare, 3))
                    .OrderBy(g => g.Key)
                    .Select(g => Point(g.Key, g.Max(p => p.Quality))); // Targets that route alike are one point: the best of them.
            series.Add(new ChartSeries("Router alone", [.. Line(routing.RoutingCurve, routing.Routing)]));
            series.Add(new ChartSeries("Router + answer checks", [.. Line(routing.RoutingAndCascadeCurve, routing.RoutingAndCascade)]));
        }

        return series;
    }

    private static int IndexOf(IReadOnlyList<string> tiers, string? tier)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (string.Equals(tiers[i], tier, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Percent(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "–";

    private static string Cost(decimal? value) => value is { } v ? ", " + v.ToString("$0.######", CultureInfo.InvariantCulture) + " per request" : "";
}
