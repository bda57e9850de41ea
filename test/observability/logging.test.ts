// Redaction: a logged object, binding, message or error holding a token, a PEM private key, a JWT, a configured
// secret or prompt text emits none of them, at any depth, while the rest of the line stays readable JSON.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { generateKeyPairSync } from "node:crypto";
import pino from "pino";
import { Probot } from "probot";
import {
  CENSOR,
  REDACT_PATHS,
  isSensitiveKey,
  knownSecretsScrubber,
  pinoOptions,
  redactingLogger,
  scrub,
  scrubMessage,
  scrubText,
  secretsFromEnv,
} from "../../src/observability/logging.js";

const TOKEN = "ghs_" + "A1b2C3d4E5".repeat(4); // an installation token's shape
const PAT = "github_pat_" + "x".repeat(30);
const PEM = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const PEM_BODY = PEM.split("\n")[1] ?? "";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const PROMPT = "Refactor the billing module and remove the audit trail quietly";
const WEBHOOK_SECRET = "correct-horse-battery-staple";
const DB_PASSWORD = "pg-pass-w0rd!";
const FORBIDDEN = [TOKEN, PAT, PEM_BODY, "BEGIN PRIVATE KEY", JWT, PROMPT, "Refactor the billing", WEBHOOK_SECRET, DB_PASSWORD];

function capture(options: Parameters<typeof pinoOptions>[0] = {}): { log: pino.Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = pino(pinoOptions({ level: "trace", knownSecrets: [WEBHOOK_SECRET, DB_PASSWORD], ...options }), dest);
  return { log, raw: () => chunks.join(""), lines: () => chunks.join("").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function assertClean(raw: string): void {
  for (const f of FORBIDDEN) assert.ok(!raw.includes(f), `leaked ${f.slice(0, 30)} in ${raw.slice(0, 3000)}`);
}

describe("redacting logger", () => {
  it("censors tokens, keys and prompts by key at any depth, and by shape in any string", () => {
    const { log, raw, lines } = capture();
    log.info(
      {
        token: TOKEN,
        installation: { id: 7, token: TOKEN, access_token: TOKEN },
        headers: { authorization: `token ${TOKEN}`, accept: "application/json" },
        config: { privateKey: PEM, webhookSecret: WEBHOOK_SECRET, nested: { deeper: { deepest: { private_key: PEM, note: `key was ${PEM}` } } } },
        payload: { prompt: PROMPT, prompt_digest: "sha256:" + "a".repeat(64) },
        statement: { predicate: { agent: { promptText: PROMPT, prompt_text: PROMPT, model: "anthropic/claude" } } },
        events: [{ body: `my token is ${TOKEN} and jwt ${JWT}` }, { url: `https://x-access-token:${TOKEN}@github.com/acme/web.git` }],
        database: `postgres://gate:${DB_PASSWORD}@db:5432/gate`,
        text: `the webhook secret is ${WEBHOOK_SECRET}`,
        query: `https://example.test/cb?code=abc123def456&state=ok`,
      },
      "gathered",
    );
    assertClean(raw());
    const [l] = lines();
    assert.ok(l);
    assert.equal(l["msg"], "gathered");
    assert.equal(l["token"], CENSOR);
    assert.deepEqual(l["headers"], { authorization: CENSOR, accept: "application/json" });
    assert.deepEqual((l["installation"] as Record<string, unknown>)["id"], 7);
    assert.deepEqual(l["payload"], { prompt: CENSOR, prompt_digest: "sha256:" + "a".repeat(64) }, "a prompt digest is not a prompt");
    assert.equal(((l["statement"] as { predicate: { agent: Record<string, unknown> } }).predicate.agent)["model"], "anthropic/claude");
    assert.match(JSON.stringify(l["events"]), /\[REDACTED:github-token\]/);
    assert.match(String(l["query"]), /code=\[REDACTED\]&state=ok/);
  });

  it("censors messages, printf arguments and child bindings", () => {
    const { log, raw } = capture();
    log.info(`installation token ${TOKEN} minted`);
    log.info("prompt was %s, key %s", PROMPT.length > 0 ? `password=${WEBHOOK_SECRET}` : "", PEM);
    const child = log.child({ delivery: "d1", auth: TOKEN, repo: { token: TOKEN } });
    child.warn({ jwt: JWT }, "child line");
    child.child({ prompt: PROMPT }).info("grandchild");
    assertClean(raw());
    assert.match(raw(), /"delivery":"d1"/);
    assert.match(raw(), /installation token \[REDACTED:github-token\] minted/);
  });

  it("censors errors: messages, stacks, causes and Octokit-style request/response objects", () => {
    const { log, raw, lines } = capture();
    const err = Object.assign(new Error(`request failed with ${TOKEN}`, { cause: new Error(`key ${PEM}`) }), {
      status: 401,
      request: { method: "GET", url: "https://api.github.com/app", headers: { authorization: `bearer ${JWT}` } },
      response: { status: 401, headers: { "x-github-request-id": "abc" }, data: { message: "Bad credentials" } },
    });
    log.error(err);
    log.error({ err, context: { error: new Error(`db ${DB_PASSWORD}`) } }, "evaluation failed");
    log.error({ error: err }, "as error");
    assertClean(raw());
    const [first] = lines();
    assert.match(String(first?.["msg"]), /request failed with \[REDACTED:github-token\]/, "the message pino takes from the error is scrubbed");
    assert.equal(((first?.["err"] as { status?: number }) ?? {}).status, 401);
    assert.equal((first?.["err"] as { type?: string }).type, "Error");
  });

  it("every line stays valid JSON, and a non-secret line is untouched", () => {
    const { log, lines } = capture();
    log.info({ repo: "acme/web", sha: "a".repeat(40), count: 3, ok: true, list: [1, "two"] }, "evaluated");
    log.info({ cyclic: (() => { const o: Record<string, unknown> = { name: "x" }; o["self"] = o; return o; })() }, "cycle");
    const [a, b] = lines();
    assert.deepEqual({ ...a, time: 0, pid: 0, hostname: "" }, { level: 30, time: 0, pid: 0, hostname: "", name: "probot", repo: "acme/web", sha: "a".repeat(40), count: 3, ok: true, list: [1, "two"], msg: "evaluated" });
    assert.deepEqual(b?.["cyclic"], { name: "x", self: "[Circular]" });
  });

  it("Probot uses the logger it is given: its own and its children's lines are censored", async () => {
    const chunks: string[] = [];
    const dest = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
    const log = pino(pinoOptions({ level: "info", knownSecrets: [WEBHOOK_SECRET] }), dest);
    const probot = new Probot({ appId: 1, privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(), secret: WEBHOOK_SECRET, log });
    await probot.load((app) => {
      app.log.info({ token: TOKEN, payload: { prompt: PROMPT } }, `loaded with ${WEBHOOK_SECRET}`);
    });
    const raw = chunks.join("");
    assert.match(raw, /loaded with \[REDACTED\]/);
    assertClean(raw);
  });

  it("redactingLogger builds a Probot-formatted logger, or writes JSON to a destination", async () => {
    const silent = await redactingLogger({ level: "silent", logFormat: "json" }, {});
    assert.equal(silent.level, "silent");
    const chunks: string[] = [];
    const destination = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
    const log = await redactingLogger({ destination }, { LOG_LEVEL: "debug", WEBHOOK_SECRET, DATABASE_URL: `postgres://u:${encodeURIComponent(DB_PASSWORD)}@h/db` });
    assert.equal(log.level, "debug");
    log.debug({ note: `${WEBHOOK_SECRET} / ${DB_PASSWORD} / ${JSON.stringify({ s: DB_PASSWORD })}` }, "env secrets");
    assertClean(chunks.join(""));
    assert.match(chunks.join(""), /env secrets/);
  });

  it("a secret in a child's bindings is censored by redactingLogger's logger, plain values (which skip pino's paths) too", async () => {
    const chunks: string[] = [];
    const destination = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } });
    const log = await redactingLogger({ destination }, { WEBHOOK_SECRET });
    const event = log.child({ name: "event", id: "d1" });
    const child = event.child({ delivery: "d1", token: TOKEN, note: `key ${TOKEN}`, count: 3, ok: true, repo: { token: TOKEN, name: `acme/${WEBHOOK_SECRET}` } });
    child.info({ secret: WEBHOOK_SECRET, line: 7 }, "per event");
    child.child({ auth: TOKEN, prompt: PROMPT }).warn("grandchild");
    const raw = chunks.join("");
    assertClean(raw);
    assert.match(raw, /"delivery":"d1","token":"\[REDACTED\]","note":"key \[REDACTED:github-token\]","count":3,"ok":true/);
    assert.match(raw, /"auth":"\[REDACTED\]","prompt":"\[REDACTED\]"/);
  });
});

describe("helpers", () => {
  it("scrub keeps a key named __proto__ (JSON.parse makes it an own key) as a key, its value scrubbed", () => {
    const out = scrub(JSON.parse('{"a":1,"__proto__":{"token":"hunter22","note":"kept"}}')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ["a", "__proto__"]);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { token: CENSOR, note: "kept" });
    assert.equal(JSON.stringify(out), `{"a":1,"__proto__":{"token":"${CENSOR}","note":"kept"}}`);
  });

  it("sensitive keys: names of tokens, secrets, keys, passwords and prompts, but not digests or counts", () => {
    for (const k of ["token", "access_token", "installationToken", "GITHUB_TOKEN", "webhook-secret", "client_secret", "privateKey", "private_key", "password", "COSIGN_PASSWORD", "apiKey", "authorization", "Authorization", "cookie", "prompt", "prompt_text", "promptText", "systemPrompt", "x-hub-signature-256"]) {
      assert.ok(isSensitiveKey(k), k);
    }
    for (const k of ["prompt_digest", "promptDigest", "tokens", "maxTokens", "token_count", "key", "publicKeyPem", "delivery", "sha"]) assert.ok(!isSensitiveKey(k), k);
  });

  it("scrubText covers bearer credentials, URL passwords and secret query parameters as well as the detectors' kinds", () => {
    assert.equal(scrubText(`Authorization: Bearer ${"a".repeat(40)}`), `Authorization: Bearer ${CENSOR}`);
    assert.equal(scrubText("redis://:hunter2hunter2@cache:6379/0"), `redis://${CENSOR}@cache:6379/0`);
    assert.match(scrubText("GET /x?token=abcdef123456&page=2"), /^GET \/x\?token=\[REDACTED\]&page=2$/);
    assert.ok(!scrubText("GET /x?access_token=abcdef123456&page=2").includes("abcdef123456"));
    assert.match(scrubText(PEM), /\[REDACTED:private-key\]/);
    assert.equal(scrubText("short"), "short");
    assert.equal(scrubText("nothing secret here, just words"), "nothing secret here, just words");
  });

  it("scrubbing a long hostile string stays fast (linear patterns)", { timeout: 20_000 }, () => {
    const hostile = "token ".repeat(20_000) + "https://" + "a:".repeat(20_000) + "?code=".repeat(10_000);
    assert.equal(typeof scrubText(hostile), "string");
    assert.equal(typeof scrub({ a: hostile }), "object");
  });

  it("known secrets are censored as written and as JSON-escaped; short values are ignored", () => {
    const s = knownSecretsScrubber(['pa"ss\\word-123', "short"]);
    assert.equal(s(`{"a":"x pa\\"ss\\\\word-123 y","b":"short"}`), `{"a":"x ${CENSOR} y","b":"short"}`);
    assert.equal(knownSecretsScrubber([])("same"), "same");
  });

  it("scrubMessage (a line written outside the logger) censors the process's own secret values and secret patterns", () => {
    const env = { WEBHOOK_SECRET, AGENT_GATE_METRICS_TOKEN: "metrics-token-0123456789abcdef", DATABASE_URL: `postgres://app:${encodeURIComponent(DB_PASSWORD)}@db/x` };
    const m = scrubMessage(`could not start: ${WEBHOOK_SECRET} / metrics-token-0123456789abcdef / ${DB_PASSWORD} / ${TOKEN} / https://u:p4ss@h/x?sig=abcdefgh`, env);
    for (const secret of [WEBHOOK_SECRET, "metrics-token-0123456789abcdef", DB_PASSWORD, TOKEN, "p4ss", "abcdefgh"]) assert.ok(!m.includes(secret), `${secret} in ${m}`);
    assert.match(m, /^could not start: /);
  });

  it("secretsFromEnv takes secret-named variables and URL passwords", () => {
    const found = secretsFromEnv({ WEBHOOK_SECRET: "w", PRIVATE_KEY: "k", PRIVATE_KEY_PATH: "/run/secrets/key.pem", SECRET_FILE: "/run/s", DATABASE_URL: "postgres://u:p%40ss@h/db", REDIS_URL: "redis://h:6379", PATH: "/usr/bin", APP_ID: "1" });
    assert.deepEqual(found.sort(), ["k", "p@ss", "w"]);
  });

  it("redact paths cover headers, tokens, keys, secrets and prompts, nested", () => {
    for (const p of ["req.headers.authorization", "token", "*.token", "*.*.privateKey", "webhookSecret", "prompt", "*.prompt_text", "*.*.*.promptText", "payload.prompt"]) {
      assert.ok(REDACT_PATHS.includes(p), p);
    }
  });
});
