// The config file's size cap: refused by GitHub's reported size, and by the content itself when the size lies.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Octokit } from "@octokit/rest";
import { ConfigSource, CONFIG_MAX_BYTES } from "../../../src/adapters/github/config-source.js";
import { AgentGateError } from "../../../src/core/errors.js";

type Content = { type: string; encoding: string; content: string; size: number };

function fakeOctokit(files: Record<string, Content>): Pick<Octokit, "request"> {
  const request = (_route: string, params: { owner: string; repo: string }) => {
    const file = files[`${params.owner}/${params.repo}`];
    if (!file) return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
    return Promise.resolve({ status: 200, headers: {}, data: file });
  };
  return { request } as unknown as Pick<Octokit, "request">;
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64").replace(/.{1,60}/g, "$&\n");
const file = (text: string, size = Buffer.byteLength(text)): Content => ({ type: "file", encoding: "base64", content: b64(text), size });

const tooLarge = (bytes: number) => (err: unknown) =>
  err instanceof AgentGateError &&
  err.code === "CONFIG_TOO_LARGE" &&
  err.message === `acme/web:.github/agent-gate.yml is ${bytes} bytes; expected at most ${CONFIG_MAX_BYTES} (64 KiB)`;

test("the cap is 64 KiB", () => assert.equal(CONFIG_MAX_BYTES, 65536));

test("a config of exactly 64 KiB is read", async () => {
  const text = "#".repeat(CONFIG_MAX_BYTES - 1) + "\n";
  const got = await new ConfigSource().load(fakeOctokit({ "acme/web": file(text) }), "acme", "web");
  assert.equal(got?.text, text);
});

test("a config GitHub reports larger than 64 KiB is refused (CONFIG_TOO_LARGE) without decoding it", async () => {
  const octokit = fakeOctokit({ "acme/web": { type: "file", encoding: "none", content: "", size: 2_000_000 } });
  await assert.rejects(new ConfigSource().load(octokit, "acme", "web"), tooLarge(2_000_000));
});

test("a config whose content is larger than its reported size is refused all the same", async () => {
  const text = "a: 1\n".repeat(20_000); // 100,000 bytes
  await assert.rejects(new ConfigSource().load(fakeOctokit({ "acme/web": file(text, 10) }), "acme", "web"), tooLarge(100_000));
  const justOver = "#".repeat(CONFIG_MAX_BYTES + 1);
  await assert.rejects(new ConfigSource().load(fakeOctokit({ "acme/web": file(justOver, 10) }), "acme", "web"), tooLarge(CONFIG_MAX_BYTES + 1));
});

test("a too-large organisation fallback is refused too", async () => {
  const octokit = fakeOctokit({ "acme/.github": file("x".repeat(CONFIG_MAX_BYTES + 5)) });
  await assert.rejects(new ConfigSource().load(octokit, "acme", "web"), (err: unknown) => err instanceof AgentGateError && err.code === "CONFIG_TOO_LARGE" && err.message.startsWith("acme/.github:.github/agent-gate.yml is 65541 bytes"));
});

test("content that is not base64-encoded is unreadable, not guessed at", async () => {
  const octokit = fakeOctokit({ "acme/web": { type: "file", encoding: "utf-8", content: "a: 1\n", size: 5 } });
  await assert.rejects(new ConfigSource().load(octokit, "acme", "web"), (err: unknown) => err instanceof AgentGateError && err.code === "CONFIG_UNREADABLE" && /expected base64 content/.test(err.message));
});

test("configs are remembered for conditional requests within bounds: the least recently used is forgotten", async () => {
  const sent: { repo: string; conditional: boolean }[] = [];
  const octokit = {
    request: (_route: string, params: { owner: string; repo: string; headers: Record<string, string> }) => {
      const conditional = params.headers["if-none-match"] === `"etag-${params.repo}"`;
      sent.push({ repo: params.repo, conditional });
      if (conditional) return Promise.reject(Object.assign(new Error("Not Modified"), { status: 304 }));
      return Promise.resolve({ status: 200, headers: { etag: `"etag-${params.repo}"` }, data: file(`rules: {} # ${params.repo}\n`) });
    },
  } as unknown as Pick<Octokit, "request">;
  const source = new ConfigSource({ entries: 2 });
  for (const repo of ["a", "b", "a", "c", "a", "b"]) assert.equal((await source.load(octokit, "acme", repo))?.text, `rules: {} # ${repo}\n`);
  // a, b fetched; a answered 304; c pushes out b (a was used more recently); a still 304; b fetched again
  assert.deepEqual(sent.map((s) => `${s.repo}${s.conditional ? ":304" : ""}`), ["a", "b", "a:304", "c", "a:304", "b"]);
  const bytes = new ConfigSource({ bytes: 10 }); // no config fits: nothing is remembered, every read is a full one
  await bytes.load(octokit, "acme", "a");
  await bytes.load(octokit, "acme", "a");
  assert.deepEqual(sent.slice(-2).map((s) => s.conditional), [false, false]);
});
