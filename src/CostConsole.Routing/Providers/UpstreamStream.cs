using System.Buffers;
using System.IO.Pipelines;

namespace CostConsole.Routing.Providers;

/// <summary>
/// A server-sent-event stream from a provider. <see cref="ReadAsync"/> yields each <c>data:</c> payload; the
/// memory is valid until the next one is requested.
/// </summary>
public sealed class UpstreamStream : IAsyncDisposable
{
    private readonly Stream? _content;
    private readonly IDisposable? _response;
    private readonly ArrayBufferWriter<byte> _line = new(1024);

    internal UpstreamStream(Stream content, IDisposable response)
    {
        _content = content;
        _response = response;
    }

    internal UpstreamStream(UpstreamReply failure) => Failure = failure;

    /// <summary>A stream an invoker translates itself (a provider that does not speak chat completions): each item is one chunk's JSON.</summary>
    internal UpstreamStream(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, IAsyncDisposable owner)
    {
        _chunks = chunks;
        _owner = owner;
    }

    private readonly IAsyncEnumerable<ReadOnlyMemory<byte>>? _chunks;
    private readonly IAsyncDisposable? _owner;

    /// <summary>Set when the stream could not be opened: the status and error the provider answered.</summary>
    public UpstreamReply? Failure { get; }

    public bool IsOpen => Failure is null;

    /// <summary>The provider answers in the client's own API, passed through rather than translated.</summary>
    public bool PassedThrough { get; internal init; }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_chunks is not null)
        {
            await foreach (var chunk in _chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                yield return chunk;
            }

            yield break;
        }

        if (_content is null)
        {
            yield break;
        }

        var reader = PipeReader.Create(_content, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (!IsData(line, out var payload))
                    {
                        continue;
                    }

                    if (payload.SequenceEqual("[DONE]"u8))
                    {
                        yield break;
                    }

                    _line.ResetWrittenCount();
                    _line.Write(payload);
                    yield return _line.WrittenMemory;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    // The provider closed the stream without [DONE]: the answer was cut.
                    throw new IOException("The provider closed the stream before it finished.");
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }

    private static bool IsData(ReadOnlySequence<byte> line, out ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (span.Length > 0 && span[^1] == (byte)'\r')
        {
            span = span[..^1];
        }

        if (!span.StartsWith("data:"u8))
        {
            payload = default;
            return false;
        }

        payload = span[5..].TrimStart((byte)' ');
        return payload.Length > 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_content is not null)
        {
            await _content.DisposeAsync().ConfigureAwait(false);
        }

        _response?.Dispose();
        if (_owner is not null)
        {
            await _owner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
