// Stored responses compatibility suite: the official openai library's store, previous_response_id, retrieve, input
// items, item references and delete, and the Agents SDK's previousResponseId, against a running CostConsole whose keys
// store prompts in full (the policy under which responses are stored).
//
//   node stored-responses.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
//
// Prints one line per check, "PASS <client> / <check>" or "FAIL <client> / <check>: <why>", and ends with
// "N passed, N failed". Exits 1 when any check failed.
import OpenAI from "openai";
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
const weatherQuestion = "What is the weather in Paris today, in celsius?";
const plainQuestion = "Where is my order? Tracking please.";

// ---------------------------------------------------------------- openai
{
  const client = new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 });
  const tools = [{ type: "function", ...weather, strict: true }];

  await check("openai", "responses.create stores by default and retrieve returns it", async () => {
    const created = await client.responses.create({ model, input: plainQuestion });
    expect(created.store === true, `store ${created.store}`);
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved.id === created.id && retrieved.output_text === created.output_text, `retrieved ${JSON.stringify(retrieved)}`);
    expect(retrieved.usage.total_tokens === created.usage.total_tokens, "usage differs");
  });
  await check("openai", "previous_response_id continues the conversation", async () => {
    const first = await client.responses.create({ model, input: plainQuestion });
    const second = await client.responses.create({ model, input: "And when will it arrive?", previous_response_id: first.id });
    expect(second.status === "completed" && second.output_text.length > 0, `second ${JSON.stringify(second.output)}`);
    expect(second.previous_response_id === first.id, `previous_response_id ${second.previous_response_id}`);
    // Input tokens count the earlier question and answer too.
    expect(second.usage.input_tokens > first.usage.input_tokens, `input tokens ${second.usage.input_tokens} after ${first.usage.input_tokens}`);
  });
  await check("openai", "function tool round trip through previous_response_id", async () => {
    const first = await client.responses.create({ model, input: weatherQuestion, tools, tool_choice: "required" });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call?.name === "get_weather", `output ${JSON.stringify(first.output)}`);
    weatherArgs.parse(JSON.parse(call.arguments));
    // Only the function's output goes back: the call is in the stored response.
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: forecast }],
      tools,
    });
    expect(second.output_text.includes("sunny"), `answer: ${second.output_text}`);
  });
  await check("openai", "a streamed response is stored and continued", async () => {
    const stream = await client.responses.create({ model, input: plainQuestion, stream: true });
    let completed;
    for await (const event of stream) {
      if (event.type === "response.completed") {
        completed = event.response;
      }
    }

    const retrieved = await client.responses.retrieve(completed.id);
    expect(retrieved.status === "completed" && retrieved.output_text === completed.output.flatMap((i) => i.content ?? []).map((p) => p.text).join(""), "retrieved text differs");
    const next = await client.responses.create({ model, input: "Thanks!", previous_response_id: completed.id });
    expect(next.previous_response_id === completed.id, `previous_response_id ${next.previous_response_id}`);
  });
  await check("openai", "store false keeps nothing: retrieve is NotFoundError (404)", async () => {
    const created = await client.responses.create({ model, input: plainQuestion, store: false });
    expect(created.store === false, `store ${created.store}`);
    await expectError(() => client.responses.retrieve(created.id), (e) => e instanceof OpenAI.NotFoundError && e.status === 404, "OpenAI.NotFoundError");
  });
  await check("openai", "responses.delete, then retrieve is NotFoundError (404)", async () => {
    const created = await client.responses.create({ model, input: plainQuestion });
    await client.responses.delete(created.id);
    await expectError(() => client.responses.retrieve(created.id), (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.message.includes(created.id), "OpenAI.NotFoundError naming the id");
  });
  await check("openai", "responses.inputItems.list pages the input items, newest first by default", async () => {
    const first = await client.responses.create({ model, input: plainQuestion });
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ role: "user", content: "And when will it arrive?" }],
    });
    // The items the second response was given: the first question, its answer, the new question.
    const page = await client.responses.inputItems.list(second.id);
    const texts = page.data.map((item) => `${item.role}: ${item.content.map((part) => part.text).join("")}`);
    expect(texts.length === 3 && texts[0] === "user: And when will it arrive?" && texts[2] === `user: ${plainQuestion}`, `newest first: ${JSON.stringify(texts)}`);
    expect(texts[1] === `assistant: ${first.output_text}`, `the earlier answer: ${texts[1]}`);
    expect(page.has_more === false && new Set(page.data.map((item) => item.id)).size === 3, `ids ${page.data.map((item) => item.id)}, has_more ${page.has_more}`);
    // One item per page, oldest first: the client follows 'after' until has_more is false.
    const ids = [];
    for await (const item of client.responses.inputItems.list(second.id, { order: "asc", limit: 1 })) {
      ids.push(item.id);
    }
    expect(JSON.stringify(ids) === JSON.stringify(page.data.map((item) => item.id).reverse()), `paged ids ${JSON.stringify(ids)}`);
    await expectError(() => client.responses.inputItems.list("resp_0000000000000000"), (e) => e instanceof OpenAI.NotFoundError && e.status === 404, "OpenAI.NotFoundError");
  });
  await check("openai", "responses.inputItems.list takes the documented include values and refuses others (400)", async () => {
    const created = await client.responses.create({ model, input: plainQuestion });
    const plain = await client.responses.inputItems.list(created.id);
    // The client sends include[]=…; text items have no image, hosted tool result or logprobs to add.
    const included = await client.responses.inputItems.list(created.id, { include: ["message.input_image.image_url", "message.output_text.logprobs", "file_search_call.results"] });
    expect(JSON.stringify(included.data) === JSON.stringify(plain.data) && plain.data.length === 1, `with include ${JSON.stringify(included.data)}, without ${JSON.stringify(plain.data)}`);
    await expectError(
      () => client.responses.inputItems.list(created.id, { include: ["message.everything"] }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "include" && e.message.includes("message.everything"),
      "OpenAI.BadRequestError naming include and the value");
  });
  await check("openai", "item_reference stands for a stored response's function call", async () => {
    const first = await client.responses.create({ model, input: weatherQuestion, tools, tool_choice: "required" });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call?.id, `output ${JSON.stringify(first.output)}`);
    // No previous_response_id: the question is sent again and the call is referred to by its item id.
    const second = await client.responses.create({
      model,
      input: [
        { role: "user", content: weatherQuestion },
        { type: "item_reference", id: call.id },
        { type: "function_call_output", call_id: call.call_id, output: forecast },
      ],
      tools,
    });
    expect(second.output_text.includes("sunny"), `answer: ${second.output_text}`);
    const items = await client.responses.inputItems.list(second.id, { order: "asc" });
    expect(items.data[1].type === "function_call" && items.data[1].call_id === call.call_id, `input items ${JSON.stringify(items.data)}`);
    await expectError(
      () => client.responses.create({ model, input: [{ type: "item_reference", id: "msg_0000000000000000" }] }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "input[0].id",
      "OpenAI.BadRequestError on input[0].id",
    );
  });
  await check("openai", "error: unknown previous_response_id is NotFoundError (404)", async () => {
    await expectError(
      () => client.responses.create({ model, input: "hi", previous_response_id: "resp_0000000000000000" }),
      (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.param === "previous_response_id",
      "OpenAI.NotFoundError on previous_response_id",
    );
  });
}

// ---------------------------------------------------------------- OpenAI Agents SDK
{
  setDefaultOpenAIClient(new OpenAI({ baseURL: gateway, apiKey: key, maxRetries: 0 }));
  setOpenAIAPI("responses");
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

  await check("agents", "second turn from previousResponseId", async () => {
    calls.length = 0;
    const first = await run(agent, weatherQuestion);
    expect(calls.length === 1 && first.finalOutput.includes("sunny"), `first: ${first.finalOutput}`);
    expect(typeof first.lastResponseId === "string" && first.lastResponseId.startsWith("resp_"), `lastResponseId ${first.lastResponseId}`);
    const second = await run(agent, "Thanks. And what should I wear?", { previousResponseId: first.lastResponseId });
    expect(typeof second.finalOutput === "string" && second.finalOutput.length > 0, `final output: ${second.finalOutput}`);
  });
}

finish();
