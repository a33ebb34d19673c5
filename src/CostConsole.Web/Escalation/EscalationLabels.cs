using System.Runtime.CompilerServices;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Escalation;

/// <summary>
/// A training label for the router, read from the ledger: the answer from <see cref="FromTier"/> failed
/// <see cref="Gate"/> (for <see cref="Reason"/>) and the one from <see cref="ToTier"/> passed — "this prompt needed more
/// than <see cref="FromTier"/>". <see cref="Prompt"/> and <see cref="RoutingInput"/> are there when prompts are stored.
/// </summary>
public sealed record EscalationLabel(
    string RequestId,
    DateTimeOffset Timestamp,
    string FromTier,
    string FromModel,
    string ToTier,
    string ToModel,
    string Gate,
    string Reason,
    string? Prompt,
    string? RoutingInput);

/// <summary>Reads <see cref="EscalationLabel"/>s from the ledger's attempts; nothing extra is stored, so every escalation ever recorded is a label.</summary>
public sealed class EscalationLabels(IDbContextFactory<CostConsoleDbContext> factory)
{
    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    /// <summary>The labels of answered requests since <paramref name="since"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public async IAsyncEnumerable<EscalationLabel> ReadAsync(DateTimeOffset since, int limit, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = db.RequestLog.AsNoTracking()
            .Where(r => r.Timestamp >= since && r.Escalations > 0 && r.Status == (int)LedgerStatus.Answered)
            .OrderBy(r => r.Timestamp)
            .AsAsyncEnumerable();
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (From(row) is not { } label)
            {
                continue;
            }

            yield return label;
            if (++count >= limit)
            {
                yield break;
            }
        }
    }

    /// <summary>The label a ledger row carries: its first answer that failed a gate, and the later answer from a higher tier that passed.</summary>
    public static EscalationLabel? From(RequestLogRow row)
    {
        if (string.IsNullOrEmpty(row.AttemptsJson))
        {
            return null;
        }

        var attempts = JsonSerializer.Deserialize<List<AttemptRecord>>(row.AttemptsJson, AttemptJson) ?? [];
        var failed = attempts.FindIndex(a => a.Kind is not (AttemptKind.Judge or AttemptKind.Sample) && a.Gates is not null && !a.PassedGates);
        if (failed < 0)
        {
            return null;
        }

        var from = attempts[failed];
        var passed = attempts.FindLastIndex(a => a.Kind == AttemptKind.Escalation && a.Status == 200 && a.PassedGates);
        if (passed <= failed || string.Equals(attempts[passed].Tier, from.Tier, StringComparison.Ordinal))
        {
            return null;
        }

        var gate = from.Gates!.First(g => !g.Passed);
        return new EscalationLabel(row.RequestId, row.Timestamp, from.Tier, from.Model, attempts[passed].Tier, attempts[passed].Model, gate.Gate, gate.Detail, row.Prompt, row.RoutingInput);
    }
}
