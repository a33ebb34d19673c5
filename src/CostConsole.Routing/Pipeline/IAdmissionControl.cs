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
    public static readonly Admission Granted = new(null, null);

    private readonly Func<ChatOutcome, ValueTask>? _settle;

    private Admission(ChatError? refusal, Func<ChatOutcome, ValueTask>? settle)
    {
        Refusal = refusal;
        _settle = settle;
    }

    public ChatError? Refusal { get; }

    public static Admission Refuse(ChatError error) => new(error, null);

    /// <summary>Admitted, with <paramref name="settle"/> run exactly once after the ledger row is written (or the request ended).</summary>
    public static Admission Reserved(Func<ChatOutcome, ValueTask> settle) => new(null, settle);

    public ValueTask SettleAsync(ChatOutcome outcome) => _settle?.Invoke(outcome) ?? ValueTask.CompletedTask;
}

/// <summary>Admits everything: the default until keys and budgets say otherwise.</summary>
public sealed class AdmitAll : IAdmissionControl
{
    public static readonly AdmitAll Instance = new();

    public ValueTask<Admission> AdmitAsync(RoutingDecision decision, ChatRequest request, CallerContext caller, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Admission.Granted);
}
