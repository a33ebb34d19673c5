namespace CostConsole.Data.Entities;

/// <summary>A file of the OpenAI-compatible Files API: a batch's input, or the output and error files a batch writes.</summary>
public sealed class BatchFileEntity
{
    /// <summary><c>file-</c> followed by 24 hex digits.</summary>
    public required string Id { get; set; }

    /// <summary>The key that uploaded it (or whose batch wrote it); null for files made in the console.</summary>
    public long? ApiKeyId { get; set; }

    /// <summary><c>batch</c> for an input file, <c>batch_output</c> for what a batch wrote.</summary>
    public required string Purpose { get; set; }

    public required string Filename { get; set; }

    public long Bytes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required byte[] Content { get; set; }
}

/// <summary>One batch of <c>/v1/chat/completions</c> requests, run in the background at the batch price.</summary>
public sealed class BatchEntity
{
    /// <summary><c>batch_</c> followed by 32 hex digits.</summary>
    public required string Id { get; set; }

    public long? ApiKeyId { get; set; }

    public required string InputFileId { get; set; }

    public required string Endpoint { get; set; }

    public required string CompletionWindow { get; set; }

    /// <summary>One of OpenAI's statuses: validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? InProgressAt { get; set; }

    public DateTimeOffset? FinalizingAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset? FailedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }

    public DateTimeOffset? CancellingAt { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }

    public string? OutputFileId { get; set; }

    public string? ErrorFileId { get; set; }

    public int Total { get; set; }

    /// <summary>The client's metadata object as JSON, returned as it came.</summary>
    public string? MetadataJson { get; set; }

    /// <summary>The worst case reserved on budgets when the batch was created.</summary>
    public long ReservedNanoUsd { get; set; }

    /// <summary>Who created it in the console, when it was not made through the API.</summary>
    public string? CreatedBy { get; set; }

    /// <summary>The console instance running the batch; null while none is.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when <see cref="LeaseOwner"/> holds the batch: another instance takes it over only after this.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>
    /// True once the batch's lines were routed and those for providers with a batch interface were set aside as upstream
    /// batches (<see cref="UpstreamBatchEntity"/>); done once, so a restart never plans them again.
    /// </summary>
    public bool UpstreamPlanned { get; set; }
}

/// <summary>
/// The part of a batch sent to one provider's own batch interface as one upstream batch: the lines that point at it
/// (<see cref="BatchLineEntity.UpstreamBatchId"/>), the upstream's batch id once it accepted them, and how it ended.
/// </summary>
public sealed class UpstreamBatchEntity
{
    public long Id { get; set; }

    public required string BatchId { get; set; }

    /// <summary>The catalogue's provider name.</summary>
    public required string Provider { get; set; }

    /// <summary>The provider's own batch id; once set, a restart polls it rather than sending the lines again.</summary>
    public string? ExternalId { get; set; }

    /// <summary><see cref="UpstreamBatchStatus"/>: submitting, in_progress, done or failed.</summary>
    public required string Status { get; set; }

    /// <summary>Why the upstream batch could not be used; its lines then ran inside the console.</summary>
    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SubmittedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>Where an upstream batch is.</summary>
public static class UpstreamBatchStatus
{
    public const string Submitting = "submitting";
    public const string InProgress = "in_progress";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>A line of a batch's input file, and once it has run, its result.</summary>
public sealed class BatchLineEntity
{
    public long Id { get; set; }

    public required string BatchId { get; set; }

    /// <summary>The line's number in the input file, from 1.</summary>
    public int Line { get; set; }

    public required string CustomId { get; set; }

    /// <summary>The request's body (the line's <c>body</c> object) as JSON.</summary>
    public required string Body { get; set; }

    /// <summary>The worst case this line may cost at the batch price, held on budgets until it runs.</summary>
    public long WorstNanoUsd { get; set; }

    public BatchLineStatus Status { get; set; }

    /// <summary>The ledger's request id of the run that finished the line.</summary>
    public string? RequestId { get; set; }

    public int? StatusCode { get; set; }

    /// <summary>The answer (or the error object) exactly as <c>/v1/chat/completions</c> would have returned it.</summary>
    public string? ResponseBody { get; set; }

    public long CostNanoUsd { get; set; }

    /// <summary>What the same calls would have cost at the interactive price.</summary>
    public long InteractiveCostNanoUsd { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The upstream batch this line was sent in (<see cref="UpstreamBatchEntity.Id"/>); null for a line run inside the console.</summary>
    public long? UpstreamBatchId { get; set; }

    /// <summary>The model (provider/id) the line was sent to upstream.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>The status code the upstream batch gave this line; null until its results are in.</summary>
    public int? UpstreamStatusCode { get; set; }

    /// <summary>The line's response body from the upstream batch's output or error file.</summary>
    public string? UpstreamBody { get; set; }

    /// <summary>Extra tries after a provider's 429 or 5xx, beyond the pipeline's own retries and fallbacks.</summary>
    public int Retries { get; set; }
}

public enum BatchLineStatus
{
    Pending = 0,
    Succeeded = 1,
    Failed = 2,
}
