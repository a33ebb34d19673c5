namespace CostConsole.Routing.Escalation;

/// <summary>One quality gate's verdict on one answer, e.g. <c>confidence</c> failed: "p10 token probability 0.21 &lt; 0.40".</summary>
public sealed record GateResult(string Gate, bool Passed, string Detail);
