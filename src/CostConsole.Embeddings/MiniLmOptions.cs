namespace CostConsole.Embeddings;

/// <summary>How the local sentence model runs (<c>CostConsole:Embeddings</c>).</summary>
public sealed class MiniLmOptions
{
    public const string SectionName = "CostConsole:Embeddings";

    /// <summary>The model's context window: it was trained on at most 256 word pieces.</summary>
    public const int ModelMaxTokens = 256;

    /// <summary>
    /// Only the first this many word pieces of a prompt are read ([CLS] and [SEP] included), 8–256. The model's cost
    /// grows with the tokens read: 64 keeps a 500-character prompt near 10 ms on one core (see the README); a
    /// routing decision rarely needs more than a prompt's opening.
    /// </summary>
    public int MaxTokens { get; set; } = 64;

    /// <summary>Threads one embedding may use (ONNX Runtime intra-op threads). One leaves the other cores to other requests.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Embeddings kept by prompt hash, so a prompt seen again is not embedded again (384 floats, about 1.6 kB each).</summary>
    public int CacheSize { get; set; } = 4096;
}
