// Embeddings compatibility suite: the official openai library's embeddings.create against a running CostConsole.
//
//   node embeddings.mjs --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef
//
// Prints one line per check, "PASS <client> / <check>" or "FAIL <client> / <check>: <why>", and ends with
// "N passed, N failed". Exits 1 when any check failed. Every request goes through the router (/v1): model "auto"
// (the catalogue's cheapest embeddings model) or the fresh install's simulated text-embedding-3-small by name.
import OpenAI from "openai";
import { check as runCheck, expect, expectError, finish, options } from "./harness.mjs";

const { root, key, only } = options();
const check = (name, body) => runCheck("openai", name, body, only);
const client = new OpenAI({ baseURL: `${root}/v1`, apiKey: key, maxRetries: 0 });

const norm = (vector) => Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
const cosine = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0) / (norm(a) * norm(b));

await check("embeddings.create, one input", async () => {
  const result = await client.embeddings.create({ model: "auto", input: "Where is my parcel?" });
  expect(result.object === "list" && result.data.length === 1, `expected one embedding, got ${result.data.length}`);
  expect(result.model === "text-embedding-3-small", `answered by ${result.model}`);
  expect(result.data[0].embedding.length > 0 && Math.abs(norm(result.data[0].embedding) - 1) < 1e-3, "not a unit vector");
  expect(result.usage.prompt_tokens > 0 && result.usage.total_tokens === result.usage.prompt_tokens, "no input tokens in usage");
});

await check("embeddings.create, batch", async () => {
  const input = ["Where is my parcel?", "Where is my package?", "Reset my password"];
  const result = await client.embeddings.create({ model: "text-embedding-3-small", input });
  expect(result.data.length === 3, `expected three embeddings, got ${result.data.length}`);
  expect(result.data.every((d, i) => d.index === i), "indices out of order");
  const [parcel, pkg, password] = result.data.map((d) => d.embedding);
  expect(cosine(parcel, pkg) > cosine(parcel, password), "related texts are not closer than unrelated ones");
});

await check("embeddings.create, base64", async () => {
  const result = await client.embeddings.create({ model: "auto", input: "Where is my parcel?", encoding_format: "base64", dimensions: 64 });
  const encoded = result.data[0].embedding;
  expect(typeof encoded === "string", `expected a base64 string, got ${typeof encoded}`);
  const vector = new Float32Array(Uint8Array.from(Buffer.from(encoded, "base64")).buffer);
  expect(vector.length === 64, `expected 64 dimensions, got ${vector.length}`);
  expect(Math.abs(norm(Array.from(vector)) - 1) < 1e-3, "not a unit vector");
});

await check("error: chat model is BadRequestError (400)", async () => {
  await expectError(
    () => client.embeddings.create({ model: "gpt-4.1-mini", input: "hi" }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.code === "model_not_embeddings",
    "BadRequestError with code model_not_embeddings",
  );
});

await check("error: unknown model is NotFoundError (404)", async () => {
  await expectError(
    () => client.embeddings.create({ model: "text-embedding-9", input: "hi" }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === "model_not_found",
    "NotFoundError with code model_not_found",
  );
});

finish();
