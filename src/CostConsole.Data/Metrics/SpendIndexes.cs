namespace CostConsole.Data.Metrics;

/// <summary>
/// The ledger's covering indexes for ranking conversations and end users by spend: the group, the time, the cost and the
/// baseline, in that order, so a ranking reads each group's entries in order and sums them without reading the rows.
/// </summary>
public static class SpendIndexes
{
    public const string Conversation = "IX_RequestLog_ConversationId_Spend";

    public const string EndUser = "IX_RequestLog_EndUser_Spend";
}
