// Client compatibility suite: three real OpenAI client libraries against a running CostConsole.
//
//   node compat.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
//
// Prints one line per check, "PASS <client> / <check>" or "FAIL <client> / <check>: <why>", and ends with
// "N passed, N failed". Exits 1 when any check failed. Everything goes through the router (/v1): chat with model
// "auto", embeddings with the catalogue's embeddings model by name.
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
// LangChain throws the error classes of its own copy of the openai package (6.x), not those of openai 7 above.
import LangChainOpenAI from "./node_modules/@langchain/openai/node_modules/openai/index.mjs";
import { tool as lcTool } from "@langchain/core/tools";
import { concat } from "@langchain/core/utils/stream";
import { APICallError, embed, generateObject, generateText, streamText, tool as aiTool } from "ai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
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
const ticket = {
  name: "create_ticket",
  description: "Open a support ticket for a customer",
  parameters: {
    type: "object",
    properties: {
      customer_email: { type: "string", format: "email" },
      priority: { type: "string", enum: ["low", "normal", "urgent"] },
      tags: { type: "array", items: { type: "string" }, minItems: 1 },
    },
    required: ["customer_email", "priority", "tags"],
    additionalProperties: false,
  },
};
const weatherArgs = z.object({ location: z.string().min(1), unit: z.enum(["celsius", "fahrenheit"]) }).strict();
const ticketArgs = z.object({ customer_email: z.string().email(), priority: z.enum(["low", "normal", "urgent"]), tags: z.array(z.string()).min(1) }).strict();
const answer = z.object({
  answer: z.string().min(1),
  category: z.enum(["billing", "shipping", "account", "other"]),
  follow_up: z.boolean(),
});
// What the simulator answers in JSON mode (no schema given): the answer and how sure it is.
const jsonModeAnswer = z.object({ answer: z.string().min(1), confidence: z.number() });

const weatherQuestion = "What is the weather in Paris today, in celsius?";
const ticketQuestion = "Please open a support ticket for sam@example.com, it is urgent.";
const plainQuestion = "Where is my order? Tracking please.";

// The JSON-mode check asks for JSON without structured outputs on purpose; the SDK would warn about it on every run.
globalThis.AI_SDK_LOG_WARNINGS = false;


function toolCallOf(calls, name, schema) {
  expect(calls?.length === 1, `expected one tool call, got ${JSON.stringify(calls)}`);
  const [call] = calls;
  expect(call.name === name, `expected a call to ${name}, got ${call.name}`);
  return schema.parse(typeof call.args === "string" ? JSON.parse(call.args) : call.args);
}

// ---------------------------------------------------------------- openai
{
  const client = new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 });
  const tools = [weather, ticket].map((f) => ({ type: "function", function: { ...f, strict: true } }));
  const ask = (content, extra = {}) => client.chat.completions.create({ model, messages: [{ role: "user", content }], ...extra });
  const called = (completion, name, schema) => {
    const choice = completion.choices[0];
    expect(choice.finish_reason === "tool_calls", `finish_reason ${choice.finish_reason}`);
    return toolCallOf(choice.message.tool_calls?.map((c) => ({ name: c.function.name, args: c.function.arguments })), name, schema);
  };
  const streamedCall = async (extra, content) => {
    const stream = await ask(content, { ...extra, stream: true, stream_options: { include_usage: true } });
    const calls = [];
    let finish;
    let usage;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        for (const delta of choice.delta.tool_calls ?? []) {
          calls[delta.index] ??= { name: "", args: "" };
          calls[delta.index].name += delta.function?.name ?? "";
          calls[delta.index].args += delta.function?.arguments ?? "";
        }

        finish = choice.finish_reason ?? finish;
      }

      usage = chunk.usage ?? usage;
    }

    expect(finish === "tool_calls", `finish_reason ${finish}`);
    expect(usage?.completion_tokens > 0, "no usage at the end of the stream");
    return calls;
  };

  await check("openai", "models list", async () => {
    const ids = [];
    for await (const entry of client.models.list()) {
      ids.push(entry.id);
    }

    expect(ids.includes("auto") && ids.includes("small"), `models: ${ids.join(", ")}`);
  });
  await check("openai", "plain chat", async () => {
    const completion = await ask(plainQuestion);
    expect(completion.choices[0].message.content?.length > 0, "empty answer");
    expect(completion.usage.total_tokens > 0, "no usage");
  });
  await check("openai", "streaming with usage", async () => {
    const stream = await ask(plainQuestion, { stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage ?? usage;
    }

    expect(text.length > 0, "no text streamed");
    expect(usage?.prompt_tokens > 0 && usage?.completion_tokens > 0, `usage ${JSON.stringify(usage)}`);
  });
  await check("openai", "tool call, forced", async () => {
    called(await ask(weatherQuestion, { tools, tool_choice: "required" }), "get_weather", weatherArgs);
  });
  await check("openai", "tool call, named", async () => {
    called(await ask(weatherQuestion, { tools, tool_choice: { type: "function", function: { name: "create_ticket" } } }), "create_ticket", ticketArgs);
  });
  await check("openai", "tool call, auto", async () => {
    called(await ask(ticketQuestion, { tools, tool_choice: "auto" }), "create_ticket", ticketArgs);
  });
  await check("openai", "tool call, forced, streamed", async () => {
    toolCallOf(await streamedCall({ tools, tool_choice: "required" }, weatherQuestion), "get_weather", weatherArgs);
  });
  await check("openai", "tool call, named, streamed", async () => {
    toolCallOf(await streamedCall({ tools, tool_choice: { type: "function", function: { name: "create_ticket" } } }, weatherQuestion), "create_ticket", ticketArgs);
  });
  await check("openai", "tool call, auto, streamed", async () => {
    toolCallOf(await streamedCall({ tools }, ticketQuestion), "create_ticket", ticketArgs);
  });
  await check("openai", "tool result answered in text", async () => {
    const messages = [{ role: "user", content: weatherQuestion }];
    const first = await client.chat.completions.create({ model, messages, tools });
    const message = first.choices[0].message;
    messages.push(message, { role: "tool", tool_call_id: message.tool_calls[0].id, content: '{"temperature":21,"sky":"sunny"}' });
    const second = await client.chat.completions.create({ model, messages, tools });
    expect(second.choices[0].finish_reason === "stop", `finish_reason ${second.choices[0].finish_reason}`);
    expect(second.choices[0].message.content?.includes("sunny"), `answer: ${second.choices[0].message.content}`);
  });
  await check("openai", "JSON mode", async () => {
    const completion = await ask(`${plainQuestion} Answer in JSON.`, { response_format: { type: "json_object" } });
    jsonModeAnswer.parse(JSON.parse(completion.choices[0].message.content));
  });
  await check("openai", "JSON schema", async () => {
    const completion = await client.chat.completions.parse({
      model,
      messages: [{ role: "user", content: plainQuestion }],
      response_format: zodResponseFormat(answer, "support_answer"),
    });
    answer.parse(completion.choices[0].message.parsed);
  });
  await check("openai", "embeddings", async () => {
    const embeddings = new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 });
    const result = await embeddings.embeddings.create({ model: "text-embedding-3-small", input: ["reset my password", "where is my order"] });
    expect(result.data.length === 2 && result.data[0].embedding.length > 0, "no vectors");
  });
  await check("openai", "error: bad key is AuthenticationError (401)", async () => {
    const stranger = new OpenAI({ baseURL: gateway, apiKey: "cc-not-a-key", maxRetries: 0 });
    await expectError(
      () => stranger.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401,
      "OpenAI.AuthenticationError",
    );
  });
  await check("openai", "error: bad request is BadRequestError (400)", async () => {
    await expectError(
      () => client.chat.completions.create({ model, messages: [] }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400,
      "OpenAI.BadRequestError",
    );
  });
}

// ---------------------------------------------------------------- LangChain
{
  const chat = (options = {}) => new ChatOpenAI({ model, apiKey: key, configuration: { baseURL: gateway }, maxRetries: 0, ...options });
  const tools = [
    lcTool(async () => "", { name: weather.name, description: weather.description, schema: weatherArgs }),
    lcTool(async () => "", { name: ticket.name, description: ticket.description, schema: ticketArgs }),
  ];
  const streamed = async (runnable, input) => {
    let whole;
    for await (const chunk of await runnable.stream(input)) {
      whole = whole === undefined ? chunk : concat(whole, chunk);
    }

    return whole;
  };

  await check("langchain", "plain chat", async () => {
    const message = await chat().invoke(plainQuestion);
    expect(typeof message.content === "string" && message.content.length > 0, "empty answer");
    expect(message.usage_metadata?.total_tokens > 0, "no usage");
  });
  await check("langchain", "streaming with usage", async () => {
    const message = await streamed(chat({ streamUsage: true }), plainQuestion);
    expect(message.content.length > 0, "no text streamed");
    expect(message.usage_metadata?.input_tokens > 0 && message.usage_metadata?.output_tokens > 0, `usage ${JSON.stringify(message.usage_metadata)}`);
  });
  await check("langchain", "tool call, forced", async () => {
    toolCallOf((await chat().bindTools(tools, { tool_choice: "required" }).invoke(weatherQuestion)).tool_calls, "get_weather", weatherArgs);
  });
  await check("langchain", "tool call, named", async () => {
    toolCallOf((await chat().bindTools(tools, { tool_choice: "create_ticket" }).invoke(weatherQuestion)).tool_calls, "create_ticket", ticketArgs);
  });
  await check("langchain", "tool call, auto", async () => {
    toolCallOf((await chat().bindTools(tools).invoke(ticketQuestion)).tool_calls, "create_ticket", ticketArgs);
  });
  await check("langchain", "tool call, forced, streamed", async () => {
    toolCallOf((await streamed(chat().bindTools(tools, { tool_choice: "required" }), weatherQuestion)).tool_calls, "get_weather", weatherArgs);
  });
  await check("langchain", "tool call, named, streamed", async () => {
    toolCallOf((await streamed(chat().bindTools(tools, { tool_choice: "create_ticket" }), weatherQuestion)).tool_calls, "create_ticket", ticketArgs);
  });
  await check("langchain", "tool call, auto, streamed", async () => {
    toolCallOf((await streamed(chat().bindTools(tools), ticketQuestion)).tool_calls, "create_ticket", ticketArgs);
  });
  await check("langchain", "JSON mode", async () => {
    jsonModeAnswer.parse(await chat().withStructuredOutput(jsonModeAnswer, { method: "jsonMode" }).invoke(`${plainQuestion} Answer in JSON.`));
  });
  await check("langchain", "JSON schema", async () => {
    answer.parse(await chat().withStructuredOutput(answer, { method: "jsonSchema", strict: true, name: "support_answer" }).invoke(plainQuestion));
  });
  await check("langchain", "embeddings", async () => {
    const embeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", apiKey: key, configuration: { baseURL: gateway }, maxRetries: 0 });
    const vectors = await embeddings.embedDocuments(["reset my password", "where is my order"]);
    expect(vectors.length === 2 && vectors[0].length > 0, "no vectors");
  });
  await check("langchain", "error: bad key is AuthenticationError (401)", async () => {
    await expectError(
      () => chat({ apiKey: "cc-not-a-key" }).invoke("hi"),
      (e) => e instanceof LangChainOpenAI.AuthenticationError && e.status === 401 && e.lc_error_code === "MODEL_AUTHENTICATION",
      "OpenAI.AuthenticationError with lc_error_code MODEL_AUTHENTICATION",
    );
  });
  await check("langchain", "error: bad request is BadRequestError (400)", async () => {
    await expectError(() => chat().invoke([]), (e) => e instanceof LangChainOpenAI.BadRequestError && e.status === 400, "OpenAI.BadRequestError");
  });
}

// ---------------------------------------------------------------- Vercel AI SDK
{
  const provider = createOpenAICompatible({ name: "costconsole", baseURL: gateway, apiKey: key, includeUsage: true });
  const structured = createOpenAICompatible({ name: "costconsole", baseURL: gateway, apiKey: key, includeUsage: true, supportsStructuredOutputs: true });
  const stranger = createOpenAICompatible({ name: "costconsole", baseURL: gateway, apiKey: "cc-not-a-key" });
  const embeddings = createOpenAICompatible({ name: "costconsole", baseURL: gateway, apiKey: key });
  const tools = {
    get_weather: aiTool({ description: weather.description, inputSchema: weatherArgs }),
    create_ticket: aiTool({ description: ticket.description, inputSchema: ticketArgs }),
  };
  const calls = (result) => result.map((c) => ({ name: c.toolName, args: c.input }));
  const generateCall = async (prompt, toolChoice) => {
    const result = await generateText({ model: provider(model), prompt, tools, toolChoice, maxRetries: 0 });
    expect(result.finishReason === "tool-calls", `finishReason ${result.finishReason}`);
    return calls(result.toolCalls);
  };
  const streamCall = async (prompt, toolChoice) => {
    const errors = [];
    const result = streamText({ model: provider(model), prompt, tools, toolChoice, maxRetries: 0, onError: ({ error }) => errors.push(error) });
    const toolCalls = await result.toolCalls;
    expect(errors.length === 0, `stream error: ${errors[0]}`);
    expect((await result.finishReason) === "tool-calls", `finishReason ${await result.finishReason}`);
    expect((await result.usage).outputTokens > 0, "no usage");
    return calls(toolCalls);
  };

  await check("ai-sdk", "plain chat", async () => {
    const result = await generateText({ model: provider(model), prompt: plainQuestion, maxRetries: 0 });
    expect(result.text.length > 0, "empty answer");
    expect(result.usage.totalTokens > 0, "no usage");
  });
  await check("ai-sdk", "streaming with usage", async () => {
    const result = streamText({ model: provider(model), prompt: plainQuestion, maxRetries: 0 });
    let text = "";
    for await (const part of result.textStream) {
      text += part;
    }

    const usage = await result.usage;
    expect(text.length > 0, "no text streamed");
    expect(usage.inputTokens > 0 && usage.outputTokens > 0, `usage ${JSON.stringify(usage)}`);
  });
  await check("ai-sdk", "tool call, forced", async () => {
    toolCallOf(await generateCall(weatherQuestion, "required"), "get_weather", weatherArgs);
  });
  await check("ai-sdk", "tool call, named", async () => {
    toolCallOf(await generateCall(weatherQuestion, { type: "tool", toolName: "create_ticket" }), "create_ticket", ticketArgs);
  });
  await check("ai-sdk", "tool call, auto", async () => {
    toolCallOf(await generateCall(ticketQuestion, "auto"), "create_ticket", ticketArgs);
  });
  await check("ai-sdk", "tool call, forced, streamed", async () => {
    toolCallOf(await streamCall(weatherQuestion, "required"), "get_weather", weatherArgs);
  });
  await check("ai-sdk", "tool call, named, streamed", async () => {
    toolCallOf(await streamCall(weatherQuestion, { type: "tool", toolName: "create_ticket" }), "create_ticket", ticketArgs);
  });
  await check("ai-sdk", "tool call, auto, streamed", async () => {
    toolCallOf(await streamCall(ticketQuestion, "auto"), "create_ticket", ticketArgs);
  });
  await check("ai-sdk", "JSON mode", async () => {
    // Without structured-output support the provider asks for json_object and puts the schema in the prompt.
    const result = await generateObject({ model: provider(model), schema: jsonModeAnswer, prompt: plainQuestion, maxRetries: 0 });
    jsonModeAnswer.parse(result.object);
  });
  await check("ai-sdk", "JSON schema", async () => {
    const result = await generateObject({ model: structured(model), schema: answer, schemaName: "support_answer", prompt: plainQuestion, maxRetries: 0 });
    answer.parse(result.object);
  });
  await check("ai-sdk", "embeddings", async () => {
    const result = await embed({ model: embeddings.embeddingModel("text-embedding-3-small"), value: "reset my password", maxRetries: 0 });
    expect(result.embedding.length > 0, "no vector");
  });
  await check("ai-sdk", "error: bad key is APICallError (401)", async () => {
    await expectError(
      () => generateText({ model: stranger(model), prompt: "hi", maxRetries: 0 }),
      (e) => APICallError.isInstance(e) && e.statusCode === 401 && !e.isRetryable,
      "APICallError with status 401",
    );
  });
  await check("ai-sdk", "error: bad request is APICallError (400)", async () => {
    await expectError(
      () => generateText({ model: provider(model), prompt: "hi", maxRetries: 0, providerOptions: { costconsole: { max_tokens: -1 } } }),
      (e) => APICallError.isInstance(e) && e.statusCode === 400 && !e.isRetryable,
      "APICallError with status 400",
    );
  });
}

finish();
