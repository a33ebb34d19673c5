using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Pipeline;

/// <summary>
/// Decides, once the router has chosen a tier and its models, whether a request may be sent at all (allowed
/// tiers and models, budgets), and holds what it reserved until the request's real cost is known.
/// </summary>
public interface IAdmissionControl
{
    /// <summary>Admits the request or refuses it with the error the client gets. Nothing has been called yet.</summary>
    ValueTask<Admission> AdmitAsync(RoutingDecision decision, ChatRequest request, CallerContext caller, CancellationToken cancellationToken);
}

/// <summary>The answer of <see cref="IAdmissionControl.AdmitAsync"/>: a refusal, or a ticket to settle once the cost is known.</summary>
public sealed class Admission
{
    public static readonly Admission Granted = new(null, null, null);

    private readonly Func<ChatOutcome, ValueTask>? _settle;
    private readonly Func<AdmissionStep, string?>? _step;

    private Admission(ChatError? refusal, Func<ChatOutcome, ValueTask>? settle, Func<AdmissionStep, string?>? step)
    {
        Refusal = refusal;
        _settle = settle;
        _step = step;
    }

    public ChatError? Refusal { get; }

    public static Admission Refuse(ChatError error) => new(error, null, null);

    /// <summary>
    /// Admitted, with <paramref name="settle"/> run exactly once after the ledger row is written (or the request ended),
    /// and <paramref name="step"/> asked before each step to a tier above the ones covered so far.
    /// </summary>
    public static Admission Reserved(Func<ChatOutcome, ValueTask> settle, Func<AdmissionStep, string?>? step = null) => new(null, settle, step);

    public ValueTask SettleAsync(ChatOutcome outcome) => _settle?.Invoke(outcome) ?? ValueTask.CompletedTask;

    /// <summary>
    /// Before an escalation (or a fallback) to a pricier tier: null when what was admitted also covers the step,
    /// else why not. A step that is not covered is not taken; the request keeps the answer it has, if any.
    /// </summary>
    public string? CoverStep(AdmissionStep step) => _step?.Invoke(step);
}

/// <summary>A further step of an admitted request: the model it would call next, and what its attempts have cost so far.</summary>
public readonly record struct AdmissionStep(RoutedModel Model, decimal CostSoFar);

/// <summary>Admits everything: the default until keys and budgets say otherwise.</summary>
public sealed class AdmitAll : IAdmissionControl
{
    public static readonly AdmitAll Instance = new();

    public ValueTask<Admission> AdmitAsync(RoutingDecision decision, ChatRequest request, CallerContext caller, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Admission.Granted);
}
