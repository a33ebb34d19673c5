using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Simulator;

/// <summary>
/// The simulator's <c>/v1/messages</c> (Anthropic Messages) and <c>/v1/responses</c> (the OpenAI Responses API): each
/// request is read with the gateway's own protocol parser into a chat completions request, simulated like any other
/// (the same answers, tool calls, schema-valid JSON, faults and pacing), and written back in the protocol it came in,
/// streamed with that protocol's own events, so a provider marked as speaking it can be tried with no API key.
/// </summary>
internal static class SimulatedProtocols
{
    public static async Task<IResult> CreateMessage(HttpContext httpContext, SimulatorSettings settings, SimulationEngine engine, TimeProvider timeProvider, ITokenCounter tokens)
    {
        var (document, readError) = await SimulatorApi.ReadJsonAsync(httpContext);
        if (document is null)
        {
            return new MessagesShaped(readError!);
        }

        ReadOnlyMemory<byte> chatBody;
        using (document)
        {
            try
            {
                chatBody = WithOutputFormat(document.RootElement);
            }
            catch (ChatRequestException ex)
            {
                return new MessagesShaped(SimulatorError.InvalidRequest(ex.Message, ex.Param));
            }
        }

        var (run, error) = await SimulateAsync(httpContext, chatBody, settings, engine, timeProvider);
        if (run is null)
        {
            return new MessagesShaped(error!);
        }

        var (request, completion, profile, identity) = run.Value;
        var messageId = "msg_sim_" + identity.Id["chatcmpl-sim-".Length..];
        if (request.Stream)
        {
            var stream = new MessagesStream(messageId, completion.PromptTokens, tokens);
            return new ChatCompletionStreamResult(completion, identity, request, timeProvider, new MessagesFormat(stream, profile.Id));
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        ChatCompletionJson.WriteCompletion(buffer, completion, identity, logprobs: false);
        var body = MessagesResponse.FromChatCompletion(buffer.WrittenSpan, messageId, profile.Id, Usage(completion));
        return Results.Bytes(body.ToArray(), "application/json");
    }

    public static async Task<IResult> CreateResponse(HttpContext httpContext, SimulatorSettings settings, SimulationEngine engine, TimeProvider timeProvider, ITokenCounter tokens)
    {
        var (document, readError) = await SimulatorApi.ReadJsonAsync(httpContext);
        if (document is null)
        {
            return readError!;
        }

        ResponsesRequest responses;
        using (document)
        {
            try
            {
                responses = ResponsesRequestParser.Parse(JsonSerializer.SerializeToUtf8Bytes(document.RootElement), null, tokens);
            }
            catch (ChatRequestException ex)
            {
                return SimulatorError.InvalidRequest(ex.Message, ex.Param);
            }
        }

        var (run, error) = await SimulateAsync(httpContext, JsonSerializer.SerializeToUtf8Bytes(responses.Chat.Root), settings, engine, timeProvider);
        if (run is null)
        {
            responses.Dispose();
            return error!;
        }

        var (request, completion, profile, identity) = run.Value;
        var responseId = "resp_sim_" + identity.Id["chatcmpl-sim-".Length..];
        if (request.Stream)
        {
            // The request lives as long as the stream: its events repeat the request's options.
            httpContext.Response.RegisterForDispose(responses);
            var events = new ResponsesEventStream(responses, responseId, identity.Created);
            return new ChatCompletionStreamResult(completion, identity, request, timeProvider, new ResponsesFormat(events, profile.Id, Usage(completion), responseId, identity.Created));
        }

        using (responses)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            ChatCompletionJson.WriteCompletion(buffer, completion, identity, logprobs: false);
            var body = ResponseObject.FromCompletion(responses, responseId, identity.Created, profile.Id, buffer.WrittenMemory, Usage(completion));
            return Results.Bytes(body, "application/json");
        }
    }

    /// <summary>
    /// The chat completions body for a Messages body. Anthropic's structured output (<c>output_config.format</c>, a JSON
    /// schema) becomes <c>response_format</c>, so the simulated answer is valid against the schema as with chat completions.
    /// </summary>
    private static ReadOnlyMemory<byte> WithOutputFormat(JsonElement messages)
    {
        var body = JsonNode.Parse(messages.GetRawText())!.AsObject();
        var outputConfig = body["output_config"];
        body.Remove("output_config");
        var chat = JsonNode.Parse(MessagesRequestParser.Translate(JsonSerializer.SerializeToUtf8Bytes(body)).Body.Span)!.AsObject();
        if (outputConfig?["format"] is JsonObject format && format["type"]?.GetValue<string>() == "json_schema" && format["schema"] is JsonObject schema)
        {
            chat["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = "output", ["schema"] = schema.DeepClone() },
            };
        }

        return JsonSerializer.SerializeToUtf8Bytes(chat);
    }

    /// <summary>Simulates the chat completions request <paramref name="chatBody"/>, waiting out a non-streamed answer's time as chat completions does.</summary>
    private static async Task<((ChatCompletionRequest Request, SimulatedCompletion Completion, SimulatedModelProfile Profile, ResponseIdentity Identity)? Run, SimulatorError? Error)> SimulateAsync(
        HttpContext httpContext, ReadOnlyMemory<byte> chatBody, SimulatorSettings settings, SimulationEngine engine, TimeProvider timeProvider)
    {
        var cancellationToken = httpContext.RequestAborted;
        ChatCompletionRequest? request;
        using (var chat = JsonDocument.Parse(chatBody))
        {
            if (!ChatCompletionRequest.TryParse(chat.RootElement, out request, out var error))
            {
                return (null, error);
            }
        }

        var profile = settings.Find(request.Model);
        if (profile is null)
        {
            return (null, SimulatorError.ModelNotFound(request.Model, settings.Models.Select(model => model.Id)));
        }

        var completion = engine.Simulate(request, profile);
        switch (completion.Fault)
        {
            case SimulatedFault.ServerError:
                return (null, SimulatorError.ServerError(profile.Id));
            case SimulatedFault.RateLimit:
                return (null, SimulatorError.RateLimited(profile));
            case SimulatedFault.Timeout:
                await SimulatorApi.DelayAsync(completion.Hang, timeProvider, cancellationToken);
                return (null, SimulatorError.TimedOut(profile));
        }

        var identity = new ResponseIdentity("chatcmpl-sim-" + Guid.NewGuid().ToString("N")[..24], timeProvider.GetUtcNow().ToUnixTimeSeconds(), "fp_sim");
        if (!request.Stream)
        {
            await SimulatorApi.DelayAsync(completion.TimeToFirstToken + completion.TimePerToken * completion.CompletionTokens, timeProvider, cancellationToken);
        }

        return ((request, completion, profile, identity), null);
    }

    private static TokenUsage Usage(SimulatedCompletion completion) => new(completion.PromptTokens, completion.CachedPromptTokens, completion.CompletionTokens);

    private sealed class MessagesFormat(MessagesStream stream, string model) : SimulatedStreamFormat
    {
        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Start() => stream.Start(model).Select(e => (e.Name, e.Data));

        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Translate(ReadOnlyMemory<byte> chunk) => stream.Translate(chunk.Span).Select(e => (e.Name, e.Data));

        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Finish() => stream.Finish().Select(e => (e.Name, e.Data));

        /// <summary>Anthropic's mid-stream error: <c>event: error</c> with <c>{"type":"error","error":{"type":"api_error","message"}}</c>.</summary>
        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Fail(string message, int tokensSent) =>
            [("error", MessagesErrors.Serialize(new ChatError(500, "server_error", "simulated_stream_error", message)))];
    }

    private sealed class ResponsesFormat(ResponsesEventStream events, string model, TokenUsage usage, string responseId, long created) : SimulatedStreamFormat
    {
        private int _sent;

        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Start() => Named(events.Begin(model));

        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Translate(ReadOnlyMemory<byte> chunk) => Named(events.Translate(chunk));

        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Finish() => Named(events.Complete(usage));

        /// <summary>
        /// The Responses API's <c>response.failed</c>: the response with status <c>failed</c>, its <c>error</c>, and the
        /// usage up to the failure, numbered after the events already sent.
        /// </summary>
        public override IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Fail(string message, int tokensSent)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "response.failed");
                writer.WriteNumber("sequence_number"u8, _sent);
                writer.WriteStartObject("response"u8);
                writer.WriteString("id"u8, responseId);
                writer.WriteString("object"u8, "response");
                writer.WriteNumber("created_at"u8, created);
                writer.WriteString("status"u8, "failed");
                writer.WriteString("model"u8, model);
                writer.WriteStartArray("output"u8);
                writer.WriteEndArray();
                writer.WriteStartObject("error"u8);
                writer.WriteString("code"u8, "server_error");
                writer.WriteString("message"u8, message);
                writer.WriteEndObject();
                writer.WriteStartObject("usage"u8);
                writer.WriteNumber("input_tokens"u8, usage.PromptTokens);
                writer.WriteStartObject("input_tokens_details"u8);
                writer.WriteNumber("cached_tokens"u8, usage.CachedPromptTokens);
                writer.WriteEndObject();
                writer.WriteNumber("output_tokens"u8, tokensSent);
                writer.WriteNumber("total_tokens"u8, usage.PromptTokens + tokensSent);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            _sent++;
            return [("response.failed", buffer.WrittenMemory)];
        }

        private IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Named(IReadOnlyList<ResponsesEvent> list)
        {
            _sent += list.Count;
            return list.Select(e => (e.Type, (ReadOnlyMemory<byte>)e.Data));
        }
    }

    /// <summary>A simulator error in Anthropic's shape (<c>{"type": "error", "error": {"type", "message"}}</c>), as Anthropic's clients read it.</summary>
    private sealed class MessagesShaped(SimulatorError error) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = error.StatusCode;
            response.ContentType = "application/json";
            if (error.RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            await response.Body.WriteAsync(MessagesErrors.Serialize(new ChatError(error.StatusCode, error.Type, error.Code ?? "", error.Message, error.Param)), httpContext.RequestAborted);
        }
    }
}

/// <summary>How a simulated stream is written when the client spoke another protocol than chat completions: named events translated from each chunk.</summary>
internal abstract class SimulatedStreamFormat
{
    public abstract IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Start();

    public abstract IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Translate(ReadOnlyMemory<byte> chunk);

    public abstract IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Finish();

    /// <summary>The protocol's own error event for a provider that fails after <paramref name="tokensSent"/> completion tokens.</summary>
    public abstract IEnumerable<(string Name, ReadOnlyMemory<byte> Data)> Fail(string message, int tokensSent);
}
