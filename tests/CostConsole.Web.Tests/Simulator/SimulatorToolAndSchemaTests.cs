using System.Net;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Tokens;
using CostConsole.Simulator;
using OpenAI.Chat;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>Function calling and structured output from the simulator, read with the official OpenAI client.</summary>
public sealed class SimulatorToolAndSchemaTests
{
    internal const string WeatherParameters =
        """
        {
          "type": "object",
          "properties": {
            "location": { "type": "string", "description": "City name" },
            "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] },
            "days": { "type": "integer", "minimum": 1, "maximum": 7 }
          },
          "required": ["location", "unit", "days"],
          "additionalProperties": false
        }
        """;

    internal const string TicketParameters =
        """
        {
          "type": "object",
          "properties": {
            "customer_email": { "type": "string", "format": "email" },
            "priority": { "type": "string", "enum": ["low", "normal", "urgent"] },
            "due": { "type": "string", "format": "date" },
            "tags": { "type": "array", "items": { "type": "string", "minLength": 2 }, "minItems": 2, "maxItems": 4, "uniqueItems": true },
            "contact": { "$ref": "#/$defs/contact" },
            "escalate": { "type": "boolean" },
            "note": { "anyOf": [{ "type": "string", "maxLength": 40 }, { "type": "null" }] }
          },
          "required": ["customer_email", "priority", "due", "tags", "contact", "escalate", "note"],
          "additionalProperties": false,
          "$defs": {
            "contact": {
              "type": "object",
              "properties": {
                "name": { "type": "string" },
                "id": { "type": "string", "format": "uuid" },
                "phones": { "type": "array", "items": { "type": "object", "properties": { "kind": { "const": "mobile" }, "number": { "type": "string" } }, "required": ["kind", "number"], "additionalProperties": false } }
              },
              "required": ["name", "id", "phones"],
              "additionalProperties": false
            }
          }
        }
        """;

    private static readonly SimulatedModelProfile Strong = SimulatorOptions.DefaultModels.Single(model => model.Id == "gpt-4.1");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ChatTool Weather => ChatTool.CreateFunctionTool("get_weather", "Get the weather forecast for a city", BinaryData.FromString(WeatherParameters), true);

    private static ChatTool Ticket => ChatTool.CreateFunctionTool("create_ticket", "Open a support ticket for a customer", BinaryData.FromString(TicketParameters), true);

    [Fact]
    public async Task A_required_tool_choice_gets_a_call_whose_arguments_satisfy_the_schema_and_are_counted_in_usage()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions { Tools = { Weather, Ticket }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };

        ChatCompletion completion = await host.ChatClient("gpt-4.1-nano")
            .CompleteChatAsync([new UserChatMessage("Will it rain in Lisbon this weekend? Celsius please.")], options, Cancellation);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Empty(completion.Content);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        var arguments = call.FunctionArguments.ToString();
        Assert.Null(JsonAnswer.Problem(arguments, WeatherParameters));
        using var parsed = JsonDocument.Parse(arguments);
        Assert.Equal("Lisbon", parsed.RootElement.GetProperty("location").GetString());
        Assert.Equal("celsius", parsed.RootElement.GetProperty("unit").GetString());
        var tokens = O200kTokenCounter.Instance;
        Assert.Equal(tokens.CountTokens(arguments) + tokens.CountTokens("get_weather") + SimulationEngine.ToolCallFramingTokens, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_named_function_is_called_even_when_the_question_is_about_another_tool()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions { Tools = { Weather, Ticket }, ToolChoice = ChatToolChoice.CreateFunctionChoice("create_ticket") };

        ChatCompletion completion = await host.ChatClient("gpt-4.1-mini")
            .CompleteChatAsync([new UserChatMessage("What's the weather in Oslo? Mail me at kari@example.no")], options, Cancellation);

        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("create_ticket", call.FunctionName);
        Assert.Null(JsonAnswer.Problem(call.FunctionArguments.ToString(), TicketParameters));
        using var parsed = JsonDocument.Parse(call.FunctionArguments.ToString());
        Assert.Equal("kari@example.no", parsed.RootElement.GetProperty("customer_email").GetString());
    }

    [Fact]
    public async Task With_auto_the_model_calls_a_tool_only_when_the_question_asks_for_what_it_does()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions { Tools = { Weather, Ticket } };
        var client = host.ChatClient("gpt-4.1");

        ChatCompletion weather = await client.CompleteChatAsync([new UserChatMessage("What is the weather like in Paris tomorrow?")], options, Cancellation);
        ChatCompletion ticket = await client.CompleteChatAsync([new UserChatMessage("Please open a support ticket: my invoice is wrong.")], options, Cancellation);
        ChatCompletion neither = await client.CompleteChatAsync([new UserChatMessage(Prompts.Faq)], options, Cancellation);

        Assert.Equal("get_weather", Assert.Single(weather.ToolCalls).FunctionName);
        Assert.Equal("create_ticket", Assert.Single(ticket.ToolCalls).FunctionName);
        Assert.Empty(neither.ToolCalls);
        Assert.Equal(ChatFinishReason.Stop, neither.FinishReason);
        Assert.False(string.IsNullOrWhiteSpace(neither.Content.Single().Text));
    }

    [Fact]
    public async Task Tool_choice_none_answers_in_text()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions { Tools = { Weather }, ToolChoice = ChatToolChoice.CreateNoneChoice() };

        ChatCompletion completion = await host.ChatClient("gpt-4.1").CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], options, Cancellation);

        Assert.Empty(completion.ToolCalls);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task After_the_tool_result_comes_back_the_model_answers_from_it_in_text()
    {
        await using var host = await SimulatorHost.StartAsync();
        var client = host.ChatClient("gpt-4.1");
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        ChatCompletion call = await client.CompleteChatAsync(messages, options, Cancellation);
        messages.Add(new AssistantChatMessage(call));
        messages.Add(new ToolChatMessage(call.ToolCalls.Single().Id, """{"temperature": 21, "sky": "sunny"}"""));
        ChatCompletion answer = await client.CompleteChatAsync(messages, options, Cancellation);

        Assert.Equal(ChatFinishReason.ToolCalls, call.FinishReason);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Empty(answer.ToolCalls);
        Assert.Contains("sunny", answer.Content.Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_call_arrives_as_indexed_deltas_that_add_up_to_valid_arguments_then_finishes_with_tool_calls_and_usage()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions { Tools = { Ticket }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };

        var arguments = new StringBuilder();
        var deltas = 0;
        string? id = null, name = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in host.ChatClient("gpt-4.1-nano").CompleteChatStreamingAsync(
                           [new UserChatMessage("Open a ticket for sam@example.com, it's urgent")], options, Cancellation))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                Assert.Equal(0, part.Index);
                id ??= part.ToolCallId;
                name ??= part.FunctionName;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
                deltas++;
            }

            Assert.DoesNotContain(update.ContentUpdate, c => c.Text.Length > 0);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(deltas > 2);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal("create_ticket", name);
        Assert.Null(JsonAnswer.Problem(arguments.ToString(), TicketParameters));
        Assert.Contains("\"priority\":\"urgent\"", arguments.ToString(), StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.NotNull(usage);
        Assert.Equal(
            O200kTokenCounter.Instance.CountTokens(arguments.ToString()) + O200kTokenCounter.Instance.CountTokens("create_ticket") + SimulationEngine.ToolCallFramingTokens,
            usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_json_schema_answer_is_an_instance_of_the_schema_streamed_and_not()
    {
        await using var host = await SimulatorHost.StartAsync();
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("ticket", BinaryData.FromString(TicketParameters), jsonSchemaIsStrict: true),
        };
        var client = host.ChatClient("gpt-4.1");

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(Prompts.Faq)], options, Cancellation);
        var streamed = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompts.Faq)], options, Cancellation))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(c => c.Text)));
        }

        Assert.Null(JsonAnswer.Problem(completion.Content.Single().Text, TicketParameters));
        Assert.Null(JsonAnswer.Problem(streamed.ToString(), TicketParameters));
    }

    [Fact]
    public void A_strong_model_answers_every_prompt_with_an_instance_of_the_schema_and_prose_fields_carry_the_answer()
    {
        const string schema =
            """
            {"type":"object","properties":{"answer":{"type":"string"},"confidence":{"type":"number","minimum":0,"maximum":1},
             "sources":{"type":"array","items":{"type":"string","format":"uri"}},"when":{"type":"string","format":"date-time"},
             "sentiment":{"type":"string","enum":["positive","neutral","negative"]}},
             "required":["answer","confidence","sources","when","sentiment"],"additionalProperties":false}
            """;
        using var document = JsonDocument.Parse(schema);
        var engine = new SimulationEngine(new SimulatorSettings(new SimulatorOptions { LatencyScale = 0 }), O200kTokenCounter.Instance);

        foreach (var prompt in Prompts.FaqQuestions)
        {
            var request = new ChatCompletionRequest
            {
                Model = "gpt-4.1",
                Messages = [new RequestMessage("user", prompt)],
                JsonResponse = true,
                ResponseSchema = document.RootElement,
            };

            var content = engine.Simulate(request, Strong).Content;

            Assert.Null(JsonAnswer.Problem(content, schema));
            using var answer = JsonDocument.Parse(content);
            Assert.True(answer.RootElement.GetProperty("answer").GetString()!.Length > 20);
        }
    }

    [Fact]
    public void A_weak_model_out_of_its_depth_sometimes_breaks_the_schema()
    {
        using var document = JsonDocument.Parse(WeatherParameters);
        var engine = new SimulationEngine(new SimulatorSettings(new SimulatorOptions { LatencyScale = 0 }), O200kTokenCounter.Instance);
        var weak = Strong with { Capability = 0.1 };

        var broken = Enumerable.Range(0, 20)
            .Select(i => engine.Simulate(new ChatCompletionRequest
            {
                Model = "weak",
                Messages = [new RequestMessage("user", Prompts.MultiStepAnalysis + " #" + i)],
                JsonResponse = true,
                ResponseSchema = document.RootElement,
            }, weak).Content)
            .Count(content => JsonAnswer.Problem(content, WeatherParameters) is not null);

        Assert.InRange(broken, 1, 19);
    }

    [Fact]
    public async Task A_tool_choice_naming_a_function_that_is_not_offered_is_refused_with_400()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var response = await host.Http.PostAsync("/sim/v1/chat/completions", new StringContent(
            """{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}}""",
            Encoding.UTF8, "application/json"), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal("tool_choice", error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
