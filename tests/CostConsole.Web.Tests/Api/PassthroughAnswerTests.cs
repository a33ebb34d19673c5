using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Keys;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// What the ledger keeps of a Responses or Messages request passed through to the simulator: the answer the client got,
/// read from the provider's own reply, and the prompt, both under the key's prompt storage policy as for chat completions.
/// </summary>
public sealed class PassthroughAnswerTests(PassthroughFactory factory) : IClassFixture<PassthroughFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("responses", false, "full")]
    [InlineData("responses", true, "full")]
    [InlineData("messages", false, "full")]
    [InlineData("messages", true, "full")]
    [InlineData("responses", false, "redacted")]
    [InlineData("responses", true, "redacted")]
    [InlineData("messages", false, "redacted")]
    [InlineData("messages", true, "redacted")]
    [InlineData("responses", false, "none")]
    [InlineData("responses", true, "none")]
    [InlineData("messages", false, "none")]
    [InlineData("messages", true, "none")]
    public async Task The_ledger_keeps_the_answer_the_client_got_and_the_prompt_as_chat_completions_does(string api, bool stream, string policy)
    {
        var prompt = $"I am maria.lopez@example-shop.com. Where is my order {Guid.NewGuid():N}?";
        using var client = await NativeAnswers.ClientAsync(factory, policy, Cancel);

        using var response = await NativeAnswers.SendAsync(client, api, prompt, stream, Cancel);
        var answer = NativeAnswers.TextOf(api, stream, await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(answer));
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.True(PassthroughTests.Answered(row).GetProperty("passedThrough").GetBoolean());
        Assert.Equal(policy == "none" ? null : answer, row.Answer);

        using var chat = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, Cancel);
        var chatRow = await PassthroughTests.LedgerRowAsync(factory, chat);
        Assert.Equal(policy switch { "full" => "user: " + prompt, "redacted" => "user: " + prompt.Replace("maria.lopez@example-shop.com", "[EMAIL]", StringComparison.Ordinal), _ => null }, row.Prompt);
        Assert.Equal((chatRow.Prompt, chatRow.PromptRedacted, chatRow.PromptHash), (row.Prompt, row.PromptRedacted, row.PromptHash));
    }
}

/// <summary>A provider ("edge") on a loopback port that speaks the Responses API and Messages itself, for every tier.</summary>
public sealed class NativeAnswerFactory : CostConsoleFactory
{
    public NativeAnswerFactory() : this(new NativeAnswerServer())
    {
    }

    private NativeAnswerFactory(NativeAnswerServer edge) : base(Settings(edge.BaseUrl)) => Edge = edge;

    public NativeAnswerServer Edge { get; }

    private static Dictionary<string, string?> Settings(string edgeUrl)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
            ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
            ["CostConsole:Catalogue:Providers:1:Name"] = "edge",
            ["CostConsole:Catalogue:Providers:1:BaseUrl"] = edgeUrl,
            ["CostConsole:Catalogue:Providers:1:ApiKey"] = "sk-edge-test",
            ["CostConsole:Catalogue:Providers:1:MaxRetries"] = "0",
            ["CostConsole:Catalogue:Providers:1:NativeApis:0"] = "responses",
            ["CostConsole:Catalogue:Providers:1:NativeApis:1"] = "messages",
        };
        string[] tiers = ["small", "medium", "large"];
        for (var i = 0; i < tiers.Length; i++)
        {
            settings[$"CostConsole:Catalogue:TierMapping:{tiers[i]}:0"] = $"edge/edge-{tiers[i]}";
            settings[$"CostConsole:Catalogue:Models:{i}:Id"] = $"edge-{tiers[i]}";
            settings[$"CostConsole:Catalogue:Models:{i}:Provider"] = "edge";
            settings[$"CostConsole:Catalogue:Models:{i}:Tier"] = tiers[i];
            settings[$"CostConsole:Catalogue:Models:{i}:InputPerMillion"] = "0.20";
            settings[$"CostConsole:Catalogue:Models:{i}:OutputPerMillion"] = "0.80";
        }

        return settings;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Edge.DisposeAsync();
    }
}

/// <summary>
/// The answer read from a provider's own reply: its text parts only, with personal data replaced under the redacted
/// policy; a reply that cannot be read (fields missing or of another type, a stream event that is not JSON) reaches the
/// client as it came, and the request is answered with no answer stored; a whole reply that is not JSON is a failure.
/// </summary>
public sealed class PassthroughAnswerReadingTests(NativeAnswerFactory factory) : IClassFixture<NativeAnswerFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("responses", false, "full", NativeAnswerServer.Answer)]
    [InlineData("responses", true, "full", NativeAnswerServer.Answer)]
    [InlineData("messages", false, "full", NativeAnswerServer.Answer)]
    [InlineData("messages", true, "full", NativeAnswerServer.Answer)]
    [InlineData("responses", false, "redacted", NativeAnswerServer.RedactedAnswer)]
    [InlineData("responses", true, "redacted", NativeAnswerServer.RedactedAnswer)]
    [InlineData("messages", false, "redacted", NativeAnswerServer.RedactedAnswer)]
    [InlineData("messages", true, "redacted", NativeAnswerServer.RedactedAnswer)]
    [InlineData("responses", false, "none", null)]
    [InlineData("responses", true, "none", null)]
    [InlineData("messages", false, "none", null)]
    [InlineData("messages", true, "none", null)]
    public async Task Only_the_text_parts_are_stored_and_personal_data_in_them_is_redacted_under_the_redacted_policy(string api, bool stream, string policy, string? stored)
    {
        using var client = await NativeAnswers.ClientAsync(factory, policy, Cancel);

        using var response = await NativeAnswers.SendAsync(client, api, "Who do I write to about my refund?", stream, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(NativeAnswerServer.Answer, NativeAnswers.TextOf(api, stream, text));
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal((0, stored), (row.Status, row.Answer));
        Assert.True(PassthroughTests.Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Theory]
    [InlineData("responses", true, NativeAnswerServer.NotJson)]
    [InlineData("messages", true, NativeAnswerServer.NotJson)]
    [InlineData("responses", false, NativeAnswerServer.NoText)]
    [InlineData("responses", true, NativeAnswerServer.NoText)]
    [InlineData("messages", false, NativeAnswerServer.NoText)]
    [InlineData("messages", true, NativeAnswerServer.NoText)]
    [InlineData("responses", false, NativeAnswerServer.NotObject)]
    [InlineData("messages", false, NativeAnswerServer.NotObject)]
    public async Task A_reply_that_cannot_be_read_reaches_the_client_as_it_came_and_no_answer_is_stored(string api, bool stream, string malformed)
    {
        using var client = await NativeAnswers.ClientAsync(factory, "full", Cancel);

        using var response = await NativeAnswers.SendAsync(client, api, $"Where is my parcel? {malformed}", stream, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = NativeAnswerServer.Reply(api, stream, malformed);
        Assert.Equal(sent, text);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal((0, 200, null), (row.Status, row.HttpStatus, row.Answer));
        Assert.Equal("user: Where is my parcel? " + malformed, row.Prompt);
        Assert.True(PassthroughTests.Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Theory]
    [InlineData("responses")]
    [InlineData("messages")]
    public async Task A_whole_reply_that_is_not_json_is_the_providers_failure_and_never_reaches_the_client(string api)
    {
        using var client = await NativeAnswers.ClientAsync(factory, "full", Cancel);

        using var response = await NativeAnswers.SendAsync(client, api, $"Where is my parcel? {NativeAnswerServer.NotJson}", false, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        // Every model of every tier is behind the same failing provider here, so no other model can answer.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("Upstream maintenance", text, StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal((502, null), (row.HttpStatus, row.Answer));
        Assert.NotEqual(0, row.Status);
    }

    [Fact]
    public async Task Content_search_finds_a_passed_through_request_by_a_word_of_its_answer_and_its_trace_shows_the_answer()
    {
        var word = "parcel" + string.Concat(Guid.NewGuid().ToString("N")[..8].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16))));
        using var client = await NativeAnswers.ClientAsync(factory, "redacted", Cancel);
        var ids = new List<string>();
        foreach (var (api, stream) in new[] { ("responses", false), ("responses", true), ("messages", false), ("messages", true) })
        {
            using var response = await NativeAnswers.SendAsync(client, api, $"Who handles {word}?", stream, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add((await PassthroughTests.LedgerRowAsync(factory, response)).RequestId);
        }

        var explorer = factory.Services.GetRequiredService<RequestExplorer>();
        var now = DateTimeOffset.UtcNow;
        var found = await explorer.PageAsync(new RequestQuery(now.AddHours(-1), now.AddMinutes(1), Text: $"{word} {NativeAnswerServer.AnswerWord}", PageSize: 100), Cancel);
        Assert.Equal(ids.Order(), found.Rows.Select(r => r.RequestId).Order());
        foreach (var id in ids)
        {
            Assert.Equal(NativeAnswerServer.RedactedAnswer, (await explorer.DetailAsync(id, Cancel))!.Row.Answer);
        }
    }
}

/// <summary>Sending Responses and Messages requests with a key of a given prompt storage policy, and reading the answer text back.</summary>
internal static class NativeAnswers
{
    public static async Task<HttpClient> ClientAsync(CostConsoleFactory factory, string policy, CancellationToken cancellationToken)
    {
        var (result, key) = await factory.Services.GetRequiredService<KeyService>()
            .CreateAsync(new KeyForm { Name = $"passthrough-{policy}-{Guid.NewGuid():N}"[..40], Team = "support", PromptStorage = policy }, "alice", cancellationToken);
        Assert.True(result.Saved, result.Summary);
        var client = factory.CreateApiClient(key!.Secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient client, string api, string prompt, bool stream, CancellationToken cancellationToken) =>
        api == "responses"
            ? client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = prompt, stream, store = false }, cancellationToken)
            : client.PostAsJsonAsync("/v1/messages", new { model = "auto", max_tokens = 200, stream, messages = new[] { new { role = "user", content = prompt } } }, cancellationToken);

    /// <summary>The answer's text as a client of <paramref name="api"/> reads it: output text parts, or text blocks, or their deltas.</summary>
    public static string TextOf(string api, bool stream, string body)
    {
        var text = new StringBuilder();
        if (stream)
        {
            foreach (var (name, data) in PassthroughTests.Events(body))
            {
                if (name == "response.output_text.delta")
                {
                    text.Append(data.GetProperty("delta").GetString());
                }
                else if (name == "content_block_delta" && data.GetProperty("delta").GetProperty("type").GetString() == "text_delta")
                {
                    text.Append(data.GetProperty("delta").GetProperty("text").GetString());
                }
            }

            return text.ToString();
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (api == "responses")
        {
            foreach (var item in root.GetProperty("output").EnumerateArray().Where(i => i.GetProperty("type").GetString() == "message"))
            {
                foreach (var part in item.GetProperty("content").EnumerateArray().Where(p => p.GetProperty("type").GetString() == "output_text"))
                {
                    text.Append(part.GetProperty("text").GetString());
                }
            }
        }
        else
        {
            foreach (var block in root.GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "text"))
            {
                text.Append(block.GetProperty("text").GetString());
            }
        }

        return text.ToString();
    }
}

/// <summary>
/// A stand-in for a provider on a loopback port that answers <c>/v1/responses</c> and <c>/v1/messages</c> in their own
/// formats, streamed or not, with <see cref="Answer"/> split over two text parts beside parts that are not text; a prompt
/// holding <see cref="NotJson"/>, <see cref="NoText"/> or <see cref="NotObject"/> gets a reply the console cannot read.
/// </summary>
public sealed class NativeAnswerServer : IAsyncDisposable
{
    public const string AnswerWord = "quokkaberry";

    public const string Answer = "Please write to maria.lopez@example-shop.com about the " + AnswerWord + " refund.";

    public const string RedactedAnswer = "Please write to [EMAIL] about the " + AnswerWord + " refund.";

    public const string NotJson = "[not-json]";

    public const string NoText = "[no-text]";

    public const string NotObject = "[not-object]";

    private const string FirstPart = "Please write to maria.lopez@example-shop.com";

    private const string SecondPart = " about the " + AnswerWord + " refund.";

    private const string Usage = "\"usage\":{\"input_tokens\":14,\"output_tokens\":12}";

    private readonly WebApplication _app;

    public NativeAnswerServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/responses", context => AnswerAsync(context, "responses"));
        _app.MapPost("/v1/messages", context => AnswerAsync(context, "messages"));
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
    }

    public string BaseUrl { get; }

    /// <summary>The reply to a request of <paramref name="api"/> whose prompt holds <paramref name="malformed"/> (or nothing).</summary>
    public static string Reply(string api, bool stream, string? malformed) => (api, stream, malformed) switch
    {
        (_, false, NotJson) => "<html><body>Upstream maintenance</body></html>",
        (_, false, NotObject) => "[\"not\", \"a\", \"reply\"]",
        ("responses", false, NoText) => "{\"id\":\"resp_edge_2\",\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\",\"content\":\"text\"},{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":42},{\"type\":\"output_text\"}]}],\"usage\":7}",
        ("messages", false, NoText) => "{\"id\":\"msg_edge_2\",\"type\":\"message\",\"content\":[{\"type\":\"text\"},{\"type\":\"text\",\"text\":null},7],\"usage\":\"none\"}",
        ("responses", false, _) => "{\"id\":\"resp_edge_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"edge-small\",\"output\":["
            + "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"The user wants a contact.\"}]},"
            + "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" + FirstPart + "\",\"annotations\":[]},"
            + "{\"type\":\"refusal\",\"refusal\":\"none\"},{\"type\":\"output_text\",\"text\":\"" + SecondPart + "\",\"annotations\":[]}]}]," + Usage + "}",
        ("messages", false, _) => "{\"id\":\"msg_edge_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"edge-small\",\"content\":["
            + "{\"type\":\"thinking\",\"thinking\":\"The user wants a contact.\",\"signature\":\"x\"},{\"type\":\"text\",\"text\":\"" + FirstPart + "\"},"
            + "{\"type\":\"text\",\"text\":\"" + SecondPart + "\"}],\"stop_reason\":\"end_turn\"," + Usage + "}",
        ("responses", true, NotJson) => Events(
            ("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_edge_3\",\"status\":\"in_progress\"}}"),
            ("response.in_progress", "upstream hiccup"),
            ("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_edge_3\",\"status\":\"completed\"}}")),
        ("messages", true, NotJson) => Events(
            ("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_edge_3\",\"type\":\"message\",\"content\":[]}}"),
            ("ping", "upstream hiccup\nretrying"),
            ("message_stop", "{\"type\":\"message_stop\"}")),
        ("responses", true, NoText) => Events(
            ("response.created", "{\"type\":\"response.created\",\"response\":null}"),
            ("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":7}"),
            ("response.completed", "{\"type\":\"response.completed\",\"response\":\"done\"}")),
        ("messages", true, NoText) => Events(
            ("message_start", "{\"type\":\"message_start\",\"message\":null}"),
            ("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}"),
            ("message_delta", "{\"type\":\"message_delta\",\"delta\":7,\"usage\":[]}"),
            ("message_stop", "{\"type\":\"message_stop\"}")),
        ("responses", true, _) => Events(
            ("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_edge_1\",\"status\":\"in_progress\",\"model\":\"edge-small\"}}"),
            ("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"output_index\":1,\"content_index\":0,\"delta\":\"" + FirstPart + "\"}"),
            ("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"output_index\":1,\"content_index\":1,\"delta\":\"" + SecondPart + "\"}"),
            ("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_edge_1\",\"status\":\"completed\"," + Usage + "}}")),
        _ => Events(
            ("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_edge_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"edge-small\",\"content\":[],\"usage\":{\"input_tokens\":14,\"output_tokens\":1}}}"),
            ("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"),
            ("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"The user wants a contact.\"}}"),
            ("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
            ("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + FirstPart + "\"}}"),
            ("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + SecondPart + "\"}}"),
            ("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
            ("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":12}}"),
            ("message_stop", "{\"type\":\"message_stop\"}")),
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>
    /// Server-sent events as the console relays them: the name each event's <c>type</c> gives it, or <c>message</c>, and
    /// a <c>data:</c> line for each line of the event's data.
    /// </summary>
    private static string Events(params (string Name, string Data)[] events) =>
        string.Concat(events.Select(e => $"event: {(e.Data.StartsWith('{') ? e.Name : "message")}\n{string.Concat(e.Data.Split('\n').Select(line => $"data: {line}\n"))}\n"));

    private static async Task AnswerAsync(HttpContext context, string api)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        using var body = JsonDocument.Parse(await reader.ReadToEndAsync());
        var text = body.RootElement.ToString();
        var malformed = new[] { NotJson, NoText, NotObject }.FirstOrDefault(m => text.Contains(m, StringComparison.Ordinal));
        var stream = body.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        context.Response.StatusCode = 200;
        context.Response.ContentType = stream ? "text/event-stream" : malformed == NotJson ? "text/html" : "application/json";
        await context.Response.WriteAsync(Reply(api, stream, malformed));
    }
}
