using System.Text.Json;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Web.Tests.Durability;

/// <summary>
/// A ledger row's attempts are written by generated code: the text must be what the reflection-based writer produced
/// for rows already in the ledger, which the request explorer, the review queue and escalation labels read back.
/// </summary>
public sealed class LedgerAttemptsJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Attempts_are_written_as_the_ledger_has_always_held_them()
    {
        IReadOnlyList<AttemptRecord> attempts =
        [
            new("simulator/gpt-4.1-mini", "simulator", "medium", 200, "answered", 1_234, 56, 0.000016m, 12.345)
            {
                Kind = AttemptKind.First,
                CachedTokens = 1_024,
                CacheWriteTokens = 7,
                Gates = [new GateResult("confidence", false, "p10 token probability 0.21 < 0.40 — \"low\" <b>"), new GateResult("json", true, "valid")],
                Confidence = 0.21,
            },
            new("simulator/gpt-4.1", "simulator", "large", 200, "answered", 1_234, 80, 0.00008m, 30.5) { Kind = AttemptKind.Escalation, PassedThrough = true },
            new("judge/gpt-4.1", "judge", "large", 502, "HTTP 502", 0, 0, 0m, 0) { Kind = AttemptKind.Judge },
        ];

        var written = JsonSerializer.Serialize(attempts, LedgerJson.Default.IReadOnlyListAttemptRecord);

        Assert.Equal(JsonSerializer.Serialize(attempts, Reflection), written);
        var read = JsonSerializer.Deserialize<List<AttemptRecord>>(written, Reflection)!;
        Assert.Equal(AttemptKind.Escalation, read[1].Kind);
        Assert.False(read[0].Gates![0].Passed);
        Assert.Equal(0.000016m, read[0].Cost);
    }
}
