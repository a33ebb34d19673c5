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
}

public enum BatchLineStatus
{
    Pending = 0,
    Succeeded = 1,
    Failed = 2,
}
