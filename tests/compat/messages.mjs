// Anthropic Messages compatibility: the official @anthropic-ai/sdk against a running CostConsole's /v1/messages.
//
//   node messages.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
//
// Prints one line per check, "PASS <client> / <check>" or "FAIL <client> / <check>: <why>", and ends with
// "N passed, N failed". Exits 1 when any check failed. Every request goes through the router with model "auto".
import Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { check as runCheck, expect, expectError, finish, options } from "./harness.mjs";

const { root, key, only } = options();
const check = (name, body) => runCheck("anthropic", name, body, only);
const model = "auto";
const client = new Anthropic({ apiKey: key, baseURL: root, maxRetries: 0 });
const stranger = new Anthropic({ apiKey: "cc-not-a-key", baseURL: root, maxRetries: 0 });

const weather = {
  name: "get_weather",
  description: "Get the weather forecast for a city",
  input_schema: {
    type: "object",
    properties: {
      location: { type: "string", description: "City name" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    },
    required: ["location", "unit"],
    additionalProperties: false,
  },
};
const weatherInput = z.object({ location: z.string().min(1), unit: z.enum(["celsius", "fahrenheit"]) }).strict();
const question = "Where is my order? Tracking please.";
const weatherQuestion = "What is the weather in Paris today, in celsius?";


function expectAnswer(message) {
  expect(message.type === "message" && message.role === "assistant", `not an assistant message: ${JSON.stringify(message)}`);
  expect(message.id.startsWith("msg_"), `id ${message.id}`);
  expect(message.stop_reason === "end_turn", `stop_reason ${message.stop_reason}`);
  const text = message.content.filter((b) => b.type === "text").map((b) => b.text).join("");
  expect(text.length > 0, `no text in ${JSON.stringify(message.content)}`);
  expect(message.usage.input_tokens > 0 && message.usage.output_tokens > 0, `usage ${JSON.stringify(message.usage)}`);
  return text;
}

function toolUseOf(message) {
  expect(message.stop_reason === "tool_use", `stop_reason ${message.stop_reason}`);
  const uses = message.content.filter((b) => b.type === "tool_use");
  expect(uses.length === 1, `expected one tool_use block, got ${JSON.stringify(message.content)}`);
  expect(uses[0].name === "get_weather", `expected a call to get_weather, got ${uses[0].name}`);
  weatherInput.parse(uses[0].input);
  return uses[0];
}

await check("messages.create", async () => {
  expectAnswer(await client.messages.create({ model, max_tokens: 256, system: "You are a support agent.", messages: [{ role: "user", content: question }] }));
});

await check("messages.stream", async () => {
  const stream = client.messages.stream({ model, max_tokens: 256, messages: [{ role: "user", content: question }] });
  let streamed = "";
  stream.on("text", (delta) => {
    streamed += delta;
  });
  const message = await stream.finalMessage();
  const text = expectAnswer(message);
  expect(streamed === text, `the text events (${streamed.length} chars) differ from the final message (${text.length} chars)`);
});

await check("create with stream: true", async () => {
  const stream = await client.messages.create({ model, max_tokens: 256, stream: true, messages: [{ role: "user", content: question }] });
  const types = [];
  let text = "";
  let stopReason;
  let outputTokens = 0;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
      text += event.delta.text;
    } else if (event.type === "message_delta") {
      stopReason = event.delta.stop_reason;
      outputTokens = event.usage.output_tokens;
    }
  }

  expect(types[0] === "message_start" && types.at(-1) === "message_stop", `event order ${types.join(",")}`);
  expect(types.includes("content_block_start") && types.includes("content_block_stop"), `event order ${types.join(",")}`);
  expect(text.length > 0, "no text deltas");
  expect(stopReason === "end_turn", `stop_reason ${stopReason}`);
  expect(outputTokens > 0, `output_tokens ${outputTokens}`);
});

await check("tool round-trip", async () => {
  const tools = [weather];
  const messages = [{ role: "user", content: weatherQuestion }];
  const first = await client.messages.create({ model, max_tokens: 256, tools, tool_choice: { type: "any" }, messages });
  const use = toolUseOf(first);
  messages.push({ role: "assistant", content: first.content });
  messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "Sunny, 21 degrees" }] });
  const second = await client.messages.create({ model, max_tokens: 256, tools, messages });
  const text = expectAnswer(second);
  expect(text.includes("Sunny, 21 degrees"), `the answer does not use the tool's result: ${text}`);
});

await check("tool call, streamed", async () => {
  const stream = client.messages.stream({
    model,
    max_tokens: 256,
    tools: [weather],
    tool_choice: { type: "tool", name: "get_weather" },
    messages: [{ role: "user", content: weatherQuestion }],
  });
  let json = "";
  stream.on("inputJson", (partial) => {
    json += partial;
  });
  const use = toolUseOf(await stream.finalMessage());
  expect(JSON.stringify(JSON.parse(json)) === JSON.stringify(use.input), `streamed arguments ${json} differ from the input ${JSON.stringify(use.input)}`);
});

await check("count_tokens", async () => {
  const counted = await client.messages.countTokens({ model, system: "You are a support agent.", messages: [{ role: "user", content: question }] });
  const answered = await client.messages.create({ model, max_tokens: 64, system: "You are a support agent.", messages: [{ role: "user", content: question }] });
  expect(counted.input_tokens > 0, `input_tokens ${counted.input_tokens}`);
  expect(counted.input_tokens === answered.usage.input_tokens, `count_tokens said ${counted.input_tokens}, the answer used ${answered.usage.input_tokens}`);
});

await check("error: bad key is AuthenticationError (401)", async () => {
  await expectError(
    () => stranger.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof Anthropic.AuthenticationError && e.status === 401 && e.error?.error?.type === "authentication_error",
    "AuthenticationError with status 401",
  );
});

await check("error: missing max_tokens is BadRequestError (400)", async () => {
  await expectError(
    () => client.messages.create({ model, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof Anthropic.BadRequestError && e.status === 400 && e.error?.error?.type === "invalid_request_error" && /max_tokens/.test(e.message),
    "BadRequestError with status 400 naming max_tokens",
  );
});

await check("error: unsupported block is BadRequestError (400)", async () => {
  await expectError(
    () =>
      client.messages.create({
        model,
        max_tokens: 64,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }],
      }),
    (e) => e instanceof Anthropic.BadRequestError && /'image' block/.test(e.message),
    "BadRequestError naming the image block",
  );
});

finish();
