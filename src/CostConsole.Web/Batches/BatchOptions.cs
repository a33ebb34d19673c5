namespace CostConsole.Web.Batches;

/// <summary>The <c>CostConsole:Batches</c> section: how big a batch may be and how fast it runs.</summary>
public sealed class BatchOptions
{
    public const string Section = "CostConsole:Batches";

    /// <summary>Largest batch input file accepted by <c>POST /v1/files</c>.</summary>
    public long MaxFileBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Most requests one batch file may hold.</summary>
    public int MaxLines { get; set; } = 50_000;

    /// <summary>
    /// Batch lines running at once, across all batches. Interactive requests never wait for these slots, so a
    /// batch only ever takes this much of the providers' capacity away from them.
    /// </summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How often the runner looks for batches to start or resume, besides being woken when one is created.</summary>
    public double PollSeconds { get; set; } = 5;

    /// <summary>
    /// How long an instance's claim on a batch lasts; it is renewed while the batch runs, at a third of this. When
    /// several instances share a database, one that stops without letting go (a crash) leaves its batches to the others
    /// after this long.
    /// </summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>How often an upstream batch (at a provider with a batch interface) is asked whether it has finished.</summary>
    public double UpstreamPollSeconds { get; set; } = 30;

    /// <summary>
    /// Extra tries of a line that failed with a provider's 429 or 5xx after the pipeline's own retries and fallbacks,
    /// with doubling backoff from <see cref="RetryDelaySeconds"/>, never past the batch's completion window; 0 tries once.
    /// </summary>
    public int LineRetries { get; set; } = 3;

    /// <summary>The first extra try's delay; each further one doubles it.</summary>
    public double RetryDelaySeconds { get; set; } = 2;
}

/// <summary>OpenAI's batch statuses.</summary>
public static class BatchStatus
{
    public const string Validating = "validating";
    public const string InProgress = "in_progress";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Expired = "expired";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";

    /// <summary>The statuses a batch has while the runner still owes it work.</summary>
    public static readonly string[] Open = [Validating, InProgress, Finalizing, Cancelling];

    public static bool IsOpen(string status) => Array.IndexOf(Open, status) >= 0;
}

/// <summary>File purposes: what a client uploads, and what a batch writes.</summary>
public static class FilePurposes
{
    public const string Batch = "batch";
    public const string BatchOutput = "batch_output";
}
