// Calls ImageGen through the official OpenAI SDK, configured only with a base URL, and prints what
// it got back as one JSON line for the end-to-end test to check.
import OpenAI from "openai";

const client = new OpenAI({ apiKey: "not-needed-for-imagegen", baseURL: process.argv[2], maxRetries: 0 });
const out = {};

const byUrl = await client.images.generate({ model: "builtin", prompt: "a paper crane", size: "256x256" });
out.url = byUrl.data[0].url;
out.created = byUrl.created;

const byBase64 = await client.images.generate({
  model: "builtin/procedural-v1", prompt: "a paper crane", size: "256x256", n: 2, response_format: "b64_json",
});
out.b64_lengths = byBase64.data.map((d) => Buffer.from(d.b64_json, "base64").length);

try {
  await client.images.generate({ model: "midjourney-v7", prompt: "a paper crane" });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, message: e.message, code: e.code, param: e.param, type: e.type };
}

console.log(JSON.stringify(out));
