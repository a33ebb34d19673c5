using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace CostConsole.Simulator;

/// <summary>A non-streaming answer, sent after the whole simulated generation time has passed.</summary>
internal sealed class ChatCompletionResult(SimulatedCompletion completion, ResponseIdentity identity, bool logprobs) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        ChatCompletionJson.WriteCompletion(response.BodyWriter, completion, identity, logprobs);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }
}

/// <summary>
/// A server-sent-events answer paced by the model's speed: role, content chunks (or a function call's name, then its
/// arguments and an empty finishing chunk), optional usage, then [DONE].
/// A stream-cut fault drops the connection about half way, as a flaky provider would; a stream-error fault sends the
/// provider's own error event there instead and ends the stream.
/// </summary>
internal sealed class ChatCompletionStreamResult(
    SimulatedCompletion completion,
    ResponseIdentity identity,
    ChatCompletionRequest request,
    TimeProvider timeProvider,
    SimulatedStreamFormat? format = null) : IResult
{
    private static readonly TimeSpan CutDrainTime = TimeSpan.FromMilliseconds(50);
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);
        if (format is not null)
        {
            await WriteEventsAsync(response, format.Start(), cancellationToken);
        }

        await SimulatorApi.DelayAsync(completion.TimeToFirstToken, timeProvider, cancellationToken);
        var toolCall = completion.ToolCall is not null;
        await WriteEventAsync(response, writer =>
        {
            if (toolCall)
            {
                ChatCompletionJson.WriteToolCallStartChunk(writer, completion, identity, request.IncludeUsage);
            }
            else
            {
                ChatCompletionJson.WriteRoleChunk(writer, completion, identity, request.IncludeUsage);
            }
        }, cancellationToken);

        var chunks = completion.ChunkSizes;
        var cutBefore = completion.Fault is SimulatedFault.StreamCut or SimulatedFault.StreamError ? chunks.Count / 2 : -1;
        var start = 0;
        for (var i = 0; i < Math.Max(chunks.Count, 1); i++)
        {
            if (i == cutBefore && completion.Fault == SimulatedFault.StreamError)
            {
                await WriteErrorAsync(response, start, cancellationToken);
                return;
            }

            if (i == cutBefore)
            {
                // Kestrel's abort drops output it has not sent yet, and at LatencyScale 0 nothing has been sent;
                // a real cut happens after earlier chunks were on the wire, so let the transport send them first.
                await Task.Delay(CutDrainTime, timeProvider, cancellationToken);
                httpContext.Abort();
                return;
            }

            var size = chunks.Count == 0 ? 0 : chunks[i];
            if (i > 0)
            {
                await SimulatorApi.DelayAsync(completion.TimePerToken * size, timeProvider, cancellationToken);
            }

            var last = i >= chunks.Count - 1;
            var chunkStart = start;
            if (toolCall)
            {
                if (size > 0)
                {
                    await WriteEventAsync(response, writer => ChatCompletionJson.WriteToolArgumentsChunk(
                        writer, completion, identity, chunkStart, size, request.IncludeUsage), cancellationToken);
                }
            }
            else
            {
                await WriteEventAsync(response, writer => ChatCompletionJson.WriteContentChunk(
                    writer, completion, identity, chunkStart, size, request.Logprobs,
                    last ? completion.FinishReason : null, request.IncludeUsage), cancellationToken);
            }

            start += size;
        }

        if (toolCall)
        {
            await WriteEventAsync(response, writer => ChatCompletionJson.WriteFinishChunk(writer, completion, identity, request.IncludeUsage), cancellationToken);
        }

        if (request.IncludeUsage)
        {
            await WriteEventAsync(response, writer => ChatCompletionJson.WriteUsageChunk(writer, completion, identity), cancellationToken);
        }

        if (format is not null)
        {
            await WriteEventsAsync(response, format.Finish(), cancellationToken);
            return;
        }

        await response.BodyWriter.WriteAsync(Done, cancellationToken);
    }

    private async Task WriteEventAsync(HttpResponse response, Action<IBufferWriter<byte>> writeJson, CancellationToken cancellationToken)
    {
        if (format is not null)
        {
            var chunk = new ArrayBufferWriter<byte>(256);
            writeJson(chunk);
            await WriteEventsAsync(response, format.Translate(chunk.WrittenMemory), cancellationToken);
            return;
        }

        var body = response.BodyWriter;
        body.Write(DataPrefix);
        writeJson(body);
        body.Write(EventEnd);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>The provider's error event, in the client's protocol, after <paramref name="tokensSent"/> completion tokens.</summary>
    private async Task WriteErrorAsync(HttpResponse response, int tokensSent, CancellationToken cancellationToken)
    {
        var message = $"The simulated model '{completion.Model}' failed while answering (StreamErrorRate fault injection). Retry the request or lower StreamErrorRate.";
        if (format is not null)
        {
            await WriteEventsAsync(response, format.Fail(message, tokensSent), cancellationToken);
            return;
        }

        var body = response.BodyWriter;
        body.Write(DataPrefix);
        using (var writer = new System.Text.Json.Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error"u8);
            writer.WriteString("message"u8, message);
            writer.WriteString("type"u8, "server_error");
            writer.WriteNull("param"u8);
            writer.WriteString("code"u8, "simulated_stream_error");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        body.Write(EventEnd);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>Named events, as the Responses API and Anthropic Messages send them: <c>event: name</c>, then <c>data: json</c>.</summary>
    private static async Task WriteEventsAsync(HttpResponse response, IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> events, CancellationToken cancellationToken)
    {
        var body = response.BodyWriter;
        foreach (var (name, data) in events)
        {
            body.Write("event: "u8);
            body.Write(System.Text.Encoding.UTF8.GetBytes(name));
            body.Write("\n"u8);
            body.Write(DataPrefix);
            body.Write(data.Span);
            body.Write(EventEnd);
        }

        await body.FlushAsync(cancellationToken);
    }
}
