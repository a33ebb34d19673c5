using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Protocols;

/// <summary>
/// The cost of translation: one support conversation (a system prompt, three turns, a function tool, about 2,000
/// characters) sent as chat completions, as the Responses API and as Anthropic Messages, parsed into the router's
/// request, and its answer written back in the client's protocol. Chat completions is the baseline: its answer goes
/// back as the model wrote it. The difference of the medians is what each protocol adds per request (target under
/// 20 µs at p50).
/// </summary>
[MemoryDiagnoser]
[InProcess]
[Config(typeof(Percentiles))]
public class TranslationBenchmarks
{
    private const string SystemPrompt = "You are the support assistant of an online shop. Answer in two or three sentences, in the customer's language, "
        + "and never promise refunds the policy does not allow. Use the order tool for anything about a specific order.";

    private static readonly string[] Turns =
    [
        "Hello, I ordered a pair of running shoes two weeks ago (order 4471-2291) and the tracking page has said 'label created' ever since. "
        + "I paid for express delivery, which was supposed to take three working days. Can you tell me what is going on and whether I can get the express fee back? "
        + "I also noticed that the confirmation e-mail listed a different size from the one I picked, 42 instead of 43, so please check that too.",
        "I am sorry about the delay. I can see the order was packed but not handed to the carrier yet. Let me check the details of the order and the size that was picked.",
        "Thanks. If the size is wrong, I would rather cancel and order again than wait for an exchange. And if it ships today, will it still arrive before Saturday? "
        + "I need them for a race on Sunday morning, which is the whole reason I paid for express delivery in the first place. Please let me know what my options are.",
    ];

    private const string ToolSchema = """{"type":"object","properties":{"order_id":{"type":"string"},"fields":{"type":"array","items":{"type":"string"}}},"required":["order_id"]}""";

    private static readonly ITokenCounter Tokens = O200kTokenCounter.Instance;
    private static readonly TokenUsage Usage = new(620, 0, 74);

    private byte[] _chat = null!;
    private byte[] _responses = null!;
    private byte[] _messages = null!;
    private byte[] _completion = null!;

    [GlobalSetup]
    public void Setup()
    {
        var turns = string.Join(",", Turns.Select((t, i) => "{\"role\":\"" + (i % 2 == 0 ? "user" : "assistant") + "\",\"content\":" + Json(t) + "}"));
        _chat = Encoding.UTF8.GetBytes(
            "{\"model\":\"auto\",\"max_tokens\":400,\"temperature\":0.3,\"messages\":[{\"role\":\"system\",\"content\":" + Json(SystemPrompt) + "}," + turns + "],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_order\",\"description\":\"Look up an order\",\"parameters\":" + ToolSchema + "}}],\"tool_choice\":\"auto\",\"user\":\"customer-1\"}");
        _responses = Encoding.UTF8.GetBytes(
            "{\"model\":\"auto\",\"max_output_tokens\":400,\"temperature\":0.3,\"instructions\":" + Json(SystemPrompt) + ",\"input\":[" + turns + "],"
            + "\"tools\":[{\"type\":\"function\",\"name\":\"get_order\",\"description\":\"Look up an order\",\"parameters\":" + ToolSchema + "}],\"tool_choice\":\"auto\",\"user\":\"customer-1\"}");
        _messages = Encoding.UTF8.GetBytes(
            "{\"model\":\"auto\",\"max_tokens\":400,\"temperature\":0.3,\"system\":" + Json(SystemPrompt) + ",\"messages\":[" + turns + "],"
            + "\"tools\":[{\"name\":\"get_order\",\"description\":\"Look up an order\",\"input_schema\":" + ToolSchema + "}],\"tool_choice\":{\"type\":\"auto\"},"
            + "\"metadata\":{\"user_id\":\"customer-1\"},\"stop_sequences\":[\"###\"]}");
        _completion = Encoding.UTF8.GetBytes(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1765000000,\"model\":\"gpt-4.1-nano\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + Json("The size on your order is 43, as you picked; the e-mail was wrong. Your parcel leaves today by express and arrives on Friday, before your race, and the express fee is refunded because it did not ship in time.")
            + ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":620,\"completion_tokens\":74,\"total_tokens\":694}}");

        // Each protocol must give the router the same conversation, or the comparison means nothing.
        using var chat = ChatRequestParser.Parse(_chat, null, Tokens);
        using var responses = ResponsesRequestParser.Parse(_responses, null, Tokens);
        using var messages = MessagesRequestParser.Parse(_messages, null, Tokens);
        var expected = chat.PromptText();
        if (responses.Chat.PromptText() != expected || messages.Request.PromptText() != expected || !responses.Chat.HasTools || !messages.Request.HasTools)
        {
            throw new InvalidOperationException("The three protocols do not carry the same conversation and tools.");
        }
    }

    /// <summary>Chat completions: parse; the answer is passed to the client as the model wrote it.</summary>
    [Benchmark(Baseline = true)]
    public int ChatCompletions()
    {
        using var request = ChatRequestParser.Parse(_chat, null, Tokens);
        return request.Messages.Count + _completion.Length;
    }

    /// <summary>Responses: parse and translate into the router's request, then the chat completion into a response object.</summary>
    [Benchmark]
    public int Responses()
    {
        using var request = ResponsesRequestParser.Parse(_responses, null, Tokens);
        return request.Chat.Messages.Count + ResponseObject.FromCompletion(request, "resp_1", 1_765_000_000, "gpt-4.1-nano", _completion, Usage).Length;
    }

    /// <summary>Messages: parse and translate into the router's request, then the chat completion into a Messages answer.</summary>
    [Benchmark]
    public int Messages()
    {
        using var request = MessagesRequestParser.Parse(_messages, null, Tokens);
        return request.Request.Messages.Count
            + MessagesResponse.FromChatCompletion(_completion, "msg_1", "gpt-4.1-nano", Usage, MessagesResponse.StopSequences(request.Request)).Length;
    }

    /// <summary>The Responses request alone, parsed and translated: where the added time goes.</summary>
    [Benchmark]
    public int ResponsesRequestOnly()
    {
        using var request = ResponsesRequestParser.Parse(_responses, null, Tokens);
        return request.Chat.Messages.Count;
    }

    /// <summary>The Messages request alone, parsed and translated.</summary>
    [Benchmark]
    public int MessagesRequestOnly()
    {
        using var request = MessagesRequestParser.Parse(_messages, null, Tokens);
        return request.Request.Messages.Count;
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles()
        {
            AddColumn(new PercentileColumn(50));
            AddColumn(new PercentileColumn(99));
        }
    }
}
