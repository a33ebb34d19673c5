// Passthrough compatibility: the official openai and @anthropic-ai/sdk clients against a console whose provider speaks
// the Responses API and Anthropic Messages itself, so each request is passed through and the provider's own answer
// (the simulator's ids start resp_sim_ and msg_sim_; a translated answer carries the console's) reaches the client.
//
//   node passthrough.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { check as runCheck, expect, finish, options } from "./harness.mjs";

const { root, key, only } = options();
const model = "auto";
const openai = new OpenAI({ apiKey: key, baseURL: `${root}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: key, baseURL: root, maxRetries: 0 });
const question = "Where is my order? Tracking please.";

await runCheck("openai", "responses.create is the provider's own response", async () => {
  const response = await openai.responses.create({ model, input: question, store: false });
  expect(response.id.startsWith("resp_sim_"), `id ${response.id} is not the provider's`);
  expect(response.status === "completed", `status ${response.status}`);
  expect(response.output_text.length > 0, "no output_text");
  expect(response.usage.input_tokens > 0 && response.usage.output_tokens > 0, `usage ${JSON.stringify(response.usage)}`);
}, only);

await runCheck("openai", "responses.create streamed relays the provider's events", async () => {
  const stream = await openai.responses.create({ model, input: question, stream: true });
  let text = "";
  let completed = null;
  for await (const event of stream) {
    if (event.type === "response.output_text.delta") {
      text += event.delta;
    } else if (event.type === "response.completed") {
      completed = event.response;
    }
  }

  expect(completed !== null, "no response.completed");
  expect(completed.id.startsWith("resp_sim_"), `id ${completed.id} is not the provider's`);
  const final = completed.output.filter((item) => item.type === "message").flatMap((item) => item.content).filter((part) => part.type === "output_text").map((part) => part.text).join("");
  expect(text.length > 0 && text === final, `streamed "${text}" but completed with "${final}"`);
  expect(completed.usage.output_tokens > 0, `usage ${JSON.stringify(completed.usage)}`);
}, only);

await runCheck("anthropic", "messages.create is the provider's own message", async () => {
  const message = await anthropic.messages.create({ model, max_tokens: 256, messages: [{ role: "user", content: question }] });
  expect(message.id.startsWith("msg_sim_"), `id ${message.id} is not the provider's`);
  expect(message.stop_reason === "end_turn", `stop_reason ${message.stop_reason}`);
  expect(message.content.some((b) => b.type === "text" && b.text.length > 0), `content ${JSON.stringify(message.content)}`);
  expect(message.usage.input_tokens > 0 && message.usage.output_tokens > 0, `usage ${JSON.stringify(message.usage)}`);
}, only);

await runCheck("anthropic", "messages.stream relays the provider's events", async () => {
  const stream = anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: "user", content: question }] });
  let text = "";
  stream.on("text", (delta) => {
    text += delta;
  });
  const message = await stream.finalMessage();
  expect(message.id.startsWith("msg_sim_"), `id ${message.id} is not the provider's`);
  expect(text.length > 0 && text === message.content.filter((b) => b.type === "text").map((b) => b.text).join(""), "streamed text differs from the final message");
  expect(message.usage.output_tokens > 0, `usage ${JSON.stringify(message.usage)}`);
}, only);

finish();
