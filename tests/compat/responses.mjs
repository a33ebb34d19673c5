// Responses API compatibility suite: real clients of POST /v1/responses against a running CostConsole.
//
//   node responses.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
//
// Prints one line per check, "PASS <client> / <check>" or "FAIL <client> / <check>: <why>", and ends with
// "N passed, N failed". Exits 1 when any check failed. Every request goes through the router (/v1, model "auto"):
// the official openai library's responses.create, the AI SDK's OpenAI provider with its defaults (which speak the
// Responses API), and the Agents SDK's run() with a function tool.
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { APICallError, generateText, stepCountIs, streamText, tool as aiTool } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool as agentTool } from "@openai/agents";
import { z } from "zod";
import { check as runCheck, expect, expectError, finish, options } from "./harness.mjs";

const { root, key, only } = options();
const check = (client, name, body) => runCheck(client, name, body, only);
const gateway = `${root}/v1`;
const model = "auto";

const weather = {
  name: "get_weather",
  description: "Get the weather forecast for a city",
  parameters: {
    type: "object",
    properties: {
      location: { type: "string", description: "City name" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    },
    required: ["location", "unit"],
    additionalProperties: false,
  },
};
const weatherArgs = z.object({ location: z.string().min(1), unit: z.enum(["celsius", "fahrenheit"]) }).strict();
const forecast = '{"temperature":21,"sky":"sunny"}';
const answer = z.object({
  answer: z.string().min(1),
  category: z.enum(["billing", "shipping", "account", "other"]),
  follow_up: z.boolean(),
});

const weatherQuestion = "What is the weather in Paris today, in celsius?";
const plainQuestion = "Where is my order? Tracking please.";

globalThis.AI_SDK_LOG_WARNINGS = false;


/** The text of a response's message items, read from the output itself (output_text is the SDK's convenience). */
function textOf(response) {
  return response.output
    .filter((item) => item.type === "message")
    .flatMap((item) => item.content)
    .filter((part) => part.type === "output_text")
    .map((part) => part.text)
    .join("");
}

// ---------------------------------------------------------------- openai
{
  const client = new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 });
  const tools = [{ type: "function", ...weather, strict: true }];

  await check("openai", "responses.create", async () => {
    const response = await client.responses.create({ model, input: plainQuestion, instructions: "Answer in one paragraph." });
    expect(response.object === "response" && response.id.startsWith("resp_"), `object ${response.object}, id ${response.id}`);
    expect(response.status === "completed", `status ${response.status}`);
    expect(textOf(response).length > 0 && response.output_text === textOf(response), `text ${JSON.stringify(response.output)}`);
    expect(response.usage.input_tokens > 0 && response.usage.output_tokens > 0, `usage ${JSON.stringify(response.usage)}`);
    expect(response.usage.total_tokens === response.usage.input_tokens + response.usage.output_tokens, "total_tokens is not input + output");
  });
  await check("openai", "responses.create, streamed", async () => {
    const stream = await client.responses.create({ model, input: plainQuestion, stream: true });
    const types = [];
    let text = "";
    let done;
    let completed;
    let sequence = -1;
    for await (const event of stream) {
      expect(event.sequence_number === sequence + 1, `sequence_number ${event.sequence_number} after ${sequence}`);
      sequence = event.sequence_number;
      types.push(event.type);
      if (event.type === "response.output_text.delta") {
        text += event.delta;
      } else if (event.type === "response.output_text.done") {
        done = event.text;
      } else if (event.type === "response.completed") {
        completed = event.response;
      }
    }

    const expected = ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta"];
    expect(expected.every((type, i) => types[i] === type), `events began ${types.slice(0, 5).join(", ")}`);
    expect(types.slice(-4).join(",") === "response.output_text.done,response.content_part.done,response.output_item.done,response.completed", `events ended ${types.slice(-4).join(", ")}`);
    expect(text.length > 0 && text === done, "the deltas do not add up to the done text");
    expect(textOf(completed) === text, "the completed response's text differs from the streamed text");
    expect(completed.usage?.output_tokens > 0, `usage ${JSON.stringify(completed?.usage)}`);
  });
  await check("openai", "responses.stream helper, final response", async () => {
    const stream = client.responses.stream({ model, input: plainQuestion });
    let text = "";
    stream.on("response.output_text.delta", (event) => {
      text += event.delta;
    });
    const final = await stream.finalResponse();
    expect(final.status === "completed" && final.output_text === text && text.length > 0, `final ${JSON.stringify(final.output)}`);
  });
  await check("openai", "function tool round trip", async () => {
    const input = [{ role: "user", content: weatherQuestion }];
    const first = await client.responses.create({ model, input, tools, tool_choice: "required" });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call?.name === "get_weather", `output ${JSON.stringify(first.output)}`);
    weatherArgs.parse(JSON.parse(call.arguments));
    // The conversation goes back whole: this suite's key stores no responses (stored-responses.mjs continues them instead).
    input.push(...first.output, { type: "function_call_output", call_id: call.call_id, output: forecast });
    const second = await client.responses.create({ model, input, tools });
    expect(second.output.every((item) => item.type === "message"), `second output ${JSON.stringify(second.output)}`);
    expect(second.output_text.includes("sunny"), `answer: ${second.output_text}`);
  });
  await check("openai", "function tool, streamed", async () => {
    const stream = await client.responses.create({ model, input: weatherQuestion, tools, tool_choice: "required", stream: true });
    let deltas = "";
    let done;
    let item;
    for await (const event of stream) {
      if (event.type === "response.function_call_arguments.delta") {
        deltas += event.delta;
      } else if (event.type === "response.function_call_arguments.done") {
        done = event.arguments;
      } else if (event.type === "response.output_item.done") {
        item = event.item;
      }
    }

    expect(item?.type === "function_call" && item.name === "get_weather", `item ${JSON.stringify(item)}`);
    expect(deltas === done && done === item.arguments, "the argument deltas do not add up to the call's arguments");
    weatherArgs.parse(JSON.parse(done));
  });
  await check("openai", "JSON schema via text.format", async () => {
    const response = await client.responses.parse({ model, input: plainQuestion, text: { format: zodTextFormat(answer, "support_answer") } });
    answer.parse(response.output_parsed);
  });
  await check("openai", "error: bad key is AuthenticationError (401)", async () => {
    const stranger = new OpenAI({ baseURL: gateway, apiKey: "cc-not-a-key", maxRetries: 0 });
    await expectError(
      () => stranger.responses.create({ model, input: "hi" }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401,
      "OpenAI.AuthenticationError",
    );
  });
  await check("openai", "error: bad request is BadRequestError (400)", async () => {
    await expectError(
      () => client.responses.create({ model, input: "hi", previous_response_id: "resp_123" }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "previous_response_id" && /input/.test(e.message),
      "OpenAI.BadRequestError on previous_response_id, pointing at input",
    );
  });
}

// ---------------------------------------------------------------- Vercel AI SDK, OpenAI provider (Responses API by default)
{
  const openai = createOpenAI({ baseURL: gateway, apiKey: key });
  const stranger = createOpenAI({ baseURL: gateway, apiKey: "cc-not-a-key" });

  await check("ai-sdk-openai", "generateText", async () => {
    const result = await generateText({ model: openai(model), prompt: plainQuestion, maxRetries: 0 });
    expect(result.text.length > 0, "empty answer");
    expect(result.finishReason === "stop", `finishReason ${result.finishReason}`);
    expect(result.usage.inputTokens > 0 && result.usage.outputTokens > 0, `usage ${JSON.stringify(result.usage)}`);
    expect(result.response.id.startsWith("resp_"), `response id ${result.response.id}`);
  });
  await check("ai-sdk-openai", "streamText", async () => {
    const errors = [];
    const result = streamText({ model: openai(model), prompt: plainQuestion, maxRetries: 0, onError: ({ error }) => errors.push(error) });
    let text = "";
    for await (const part of result.textStream) {
      text += part;
    }

    const usage = await result.usage;
    expect(errors.length === 0, `stream error: ${errors[0]}`);
    expect(text.length > 0, "no text streamed");
    expect(usage.inputTokens > 0 && usage.outputTokens > 0, `usage ${JSON.stringify(usage)}`);
  });
  await check("ai-sdk-openai", "generateText, tool round trip", async () => {
    const tools = { get_weather: aiTool({ description: weather.description, inputSchema: weatherArgs, execute: async () => JSON.parse(forecast) }) };
    const result = await generateText({ model: openai(model), prompt: weatherQuestion, tools, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(result.steps.length === 2 && result.steps[0].toolCalls[0]?.toolName === "get_weather", `steps ${result.steps.map((s) => s.finishReason).join(", ")}`);
    expect(result.text.includes("sunny"), `answer: ${result.text}`);
  });
  // A later turn sends the earlier answer back. With its default (store on, as at OpenAI) the provider sends a
  // reference to the stored item instead of its text; CostConsole does not look items up, so that is refused, naming the option.
  const secondTurn = async (providerOptions) => {
    const first = await generateText({ model: openai(model), prompt: plainQuestion, maxRetries: 0 });
    const messages = [{ role: "user", content: plainQuestion }, ...first.response.messages, { role: "user", content: "And when will it arrive?" }];
    return generateText({ model: openai(model), messages, maxRetries: 0, providerOptions });
  };
  await check("ai-sdk-openai", "second turn with store false", async () => {
    const result = await secondTurn({ openai: { store: false } });
    expect(result.text.length > 0, "empty answer");
  });
  await check("ai-sdk-openai", "second turn with store on is refused naming store false", async () => {
    await expectError(
      () => secondTurn(undefined),
      (e) => APICallError.isInstance(e) && e.statusCode === 400 && !e.isRetryable && /store is false/.test(e.message),
      "APICallError with status 400 naming providerOptions.openai.store",
    );
  });
  await check("ai-sdk-openai", "error: bad key is APICallError (401)", async () => {
    await expectError(
      () => generateText({ model: stranger(model), prompt: "hi", maxRetries: 0 }),
      (e) => APICallError.isInstance(e) && e.statusCode === 401 && !e.isRetryable,
      "APICallError with status 401",
    );
  });
}

// ---------------------------------------------------------------- OpenAI Agents SDK
{
  setDefaultOpenAIClient(new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 }));
  setOpenAIAPI("responses");
  // Traces would go to OpenAI's platform with the gateway key; nothing should leave the machine.
  setTracingDisabled(true);
  const calls = [];
  const getWeather = agentTool({
    name: weather.name,
    description: weather.description,
    parameters: weatherArgs,
    execute: async (input) => {
      calls.push(input);
      return forecast;
    },
  });
  const agent = new Agent({ name: "Support", instructions: "Answer the customer's question; use the tools.", model, tools: [getWeather] });

  await check("agents", "run with a function tool", async () => {
    calls.length = 0;
    const result = await run(agent, weatherQuestion);
    expect(calls.length === 1, `the tool ran ${calls.length} times`);
    weatherArgs.parse(calls[0]);
    expect(typeof result.finalOutput === "string" && result.finalOutput.includes("sunny"), `final output: ${result.finalOutput}`);
    expect(result.rawResponses.length === 2 && result.rawResponses.every((r) => r.usage.outputTokens > 0), "no usage per response");
  });
  await check("agents", "second turn from the run's history", async () => {
    const first = await run(agent, weatherQuestion);
    const second = await run(agent, [...first.history, { role: "user", content: "Thanks. And what should I wear?" }]);
    expect(typeof second.finalOutput === "string" && second.finalOutput.length > 0, `final output: ${second.finalOutput}`);
  });
  await check("agents", "run with a function tool, streamed", async () => {
    calls.length = 0;
    const result = await run(agent, weatherQuestion, { stream: true });
    let text = "";
    for await (const chunk of result.toTextStream()) {
      text += chunk;
    }

    await result.completed;
    expect(calls.length === 1, `the tool ran ${calls.length} times`);
    expect(text.includes("sunny") && result.finalOutput === text, `streamed: ${text}; final output: ${result.finalOutput}`);
  });
}

finish();
