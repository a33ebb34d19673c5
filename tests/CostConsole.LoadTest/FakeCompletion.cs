using System.Text.Json;

namespace CostConsole.LoadTest;

/// <summary>The fake provider's fixed answers, serialized once at start.</summary>
internal static class FakeCompletion
{
    private const string Model = "gpt-4.1-mini-2025-04-14";
    private const long Created = 1767225600;

    private static readonly string[] Words =
    [
        "Thanks for reaching out, Maria.", " I can see the two charges for this period", " and I have refunded the difference to your card;",
        " it will show within five business days.",
    ];

    public static readonly byte[] Completion = JsonSerializer.SerializeToUtf8Bytes(new
    {
        id = "chatcmpl-loadtest",
        @object = "chat.completion",
        created = Created,
        model = Model,
        choices = new[]
        {
            new
            {
                index = 0,
                message = new { role = "assistant", content = string.Concat(Words), refusal = (string?)null },
                logprobs = (object?)null,
                finish_reason = "stop",
            },
        },
        usage = Usage,
        service_tier = "default",
        system_fingerprint = "fp_loadtest",
    });

    public static readonly byte[][] Chunks =
    [
        Event(new { role = "assistant", content = "" }, null),
        .. Words.Select(w => Event(new { content = w }, null)),
        Event(new { }, "stop"),
    ];

    public static readonly byte[] UsageChunk = Sse(new
    {
        id = "chatcmpl-loadtest",
        @object = "chat.completion.chunk",
        created = Created,
        model = Model,
        choices = Array.Empty<object>(),
        usage = Usage,
    });

    public static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private static object Usage => new
    {
        prompt_tokens = 486,
        completion_tokens = 31,
        total_tokens = 517,
        prompt_tokens_details = new { cached_tokens = 0, audio_tokens = 0 },
        completion_tokens_details = new { reasoning_tokens = 0, audio_tokens = 0, accepted_prediction_tokens = 0, rejected_prediction_tokens = 0 },
    };

    /// <summary>Whether the client asked for a stream, and for usage at its end.</summary>
    public static async Task<(bool Stream, bool IncludeUsage)> ReadFlagsAsync(HttpRequest request)
    {
        using var document = await JsonDocument.ParseAsync(request.Body);
        var root = document.RootElement;
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var usage = root.TryGetProperty("stream_options", out var o) && o.ValueKind == JsonValueKind.Object
            && o.TryGetProperty("include_usage", out var u) && u.ValueKind == JsonValueKind.True;
        return (stream, usage);
    }

    private static byte[] Event(object delta, string? finishReason) => Sse(new
    {
        id = "chatcmpl-loadtest",
        @object = "chat.completion.chunk",
        created = Created,
        model = Model,
        choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
    });

    private static byte[] Sse(object payload) => [.. "data: "u8, .. JsonSerializer.SerializeToUtf8Bytes(payload), .. "\n\n"u8];
}
