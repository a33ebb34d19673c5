namespace CostConsole.Data.Entities;

/// <summary>
/// The running spend of one end user or conversation over the whole ledger: requests, cost and baseline in nano-USD and
/// the time of its first and last request (Unix milliseconds, UTC). The Spend page walks these in descending cost to
/// find the top groups of a range without grouping the ledger; a group's total bounds what it spent in any range.
/// </summary>
public abstract class SpendTotalRow
{
    /// <summary>The end user or the conversation id.</summary>
    public string Name { get; set; } = "";

    public long Requests { get; set; }

    public long CostNanoUsd { get; set; }

    public long BaselineCostNanoUsd { get; set; }

    /// <summary>Time of the group's first request, Unix milliseconds, UTC.</summary>
    public long First { get; set; }

    /// <summary>Time of the group's last request, Unix milliseconds, UTC.</summary>
    public long Last { get; set; }
}

/// <summary>The running spend of one end user (the request's <c>user</c> field).</summary>
public sealed class EndUserSpendRow : SpendTotalRow;

/// <summary>The running spend of one conversation.</summary>
public sealed class ConversationSpendRow : SpendTotalRow;

/// <summary>
/// How far into the ledger the spend totals are folded: every ledger row up to <see cref="LedgerId"/> is counted in them.
/// SQLite folds committed rows after the fact; PostgreSQL adds each batch's increments in the batch's own transaction.
/// </summary>
public sealed class SpendTotalsMarkRow
{
    public int Id { get; set; }

    public long LedgerId { get; set; }
}
