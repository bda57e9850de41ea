// `agent-gate setup`: GitHub's App manifest flow against the GitHub stand-in, every exchange validated against the
// REST description. The browser is played by the test: it opens the page setup serves, reads the manifest form,
// has the stand-in create the App (GitHub's web step), and follows the redirect back with the code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { parse as parseYaml } from "yaml";
import { setupCommand } from "../../src/cli/setup.js";
import { readServerEnv } from "../../src/config/server-env.js";
import { startServer } from "../../src/app-server.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { Io } from "../../src/cli/args.js";
import { validatedGitHub } from "../support/github.js";

const EXAMPLE = (JSON.parse(readFileSync("fixtures/github/app-manifest-conversion.json", "utf8")) as { example: { pem: string; webhook_secret: string; client_secret: string } }).example;
const APP_YML = parseYaml(readFileSync("app.yml", "utf8")) as { name: string; default_permissions: Record<string, string>; default_events: string[] };

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const unescapeHtml = (s: string): string => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

async function until<T>(get: () => T | undefined): Promise<T> {
  // counted polls of an outcome (the page's URL printed), not a duration
  for (let i = 0; i < 500; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("setup did not print its page's URL");
}

test("the browser flow: the manifest posted to GitHub is app.yml with the operator's webhook URL; the code's credentials land in a 0600 env file that npm start reads", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-setup-"));
  const github = validatedGitHub([]);
  const io = capture();
  const envFile = join(dir, ".env");
  try {
    const running = setupCommand(["--webhook-url", "https://gate.example.com", "--org", "acme", "--env-file", envFile, "--json"], io, { fetch: github.fetch });
    const pageUrl = await until(() => /Open (http:\/\/127\.0\.0\.1:\d+\/) in a browser/.exec(io.stderr.join("\n"))?.[1]);
    const html = await (await fetch(pageUrl)).text();
    const action = unescapeHtml(/<form id="f" method="post" action="([^"]+)"/.exec(html)?.[1] ?? "");
    const manifest = JSON.parse(unescapeHtml(/name="manifest" value="([^"]+)"/.exec(html)?.[1] ?? "")) as Record<string, unknown> & { hook_attributes: { url: string }; redirect_url: string };
    const state = new URL(action).searchParams.get("state");
    assert.match(action, /^https:\/\/github\.com\/organizations\/acme\/settings\/apps\/new\?state=[0-9a-f]{32}$/);
    assert.equal(manifest.hook_attributes.url, "https://gate.example.com/api/github/webhooks", "a URL without a path gets the default webhook path");
    assert.equal(manifest.redirect_url, `${pageUrl}callback`);
    assert.equal(manifest.name, APP_YML.name);
    assert.deepEqual(manifest.default_permissions, APP_YML.default_permissions);
    assert.deepEqual(manifest.default_events, APP_YML.default_events);

    // A redirect that does not carry this setup's state is refused, and setup keeps waiting.
    const code = github.standIn.createAppFromManifest(manifest);
    const forged = await fetch(`${manifest.redirect_url}?code=${code}&state=${"0".repeat(32)}`);
    assert.equal(forged.status, 400);
    assert.equal(github.standIn.requests.length, 0, "no exchange for a forged redirect");

    const back = await fetch(`${manifest.redirect_url}?code=${code}&state=${state}`);
    assert.equal(back.status, 200);
    assert.match(await back.text(), /Created the GitHub App &#34;agent-gate&#34; \(id 1\)/);
    assert.equal(await running, 0, io.stderr.join("\n"));
    assert.deepEqual(github.problems, [], "the exchange and the stand-in's answer follow GitHub's REST description");
    assert.deepEqual(github.standIn.requests.map((r) => `${r.method} ${r.path} ${r.status}`), [`POST /app-manifests/${code}/conversions 201`]);

    const doc = JSON.parse(io.stdout.join("\n")) as { app: { id: number; name: string }; envFile: string; written: string[] };
    assert.equal(io.stdout.length, 1, "one JSON document");
    assert.deepEqual(doc.written, ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "AGENT_GATE_WEBHOOK_URL", "AGENT_GATE_METRICS_TOKEN"]);
    assert.equal(doc.app.id, 1);
    for (const secret of [EXAMPLE.webhook_secret, EXAMPLE.client_secret, "PRIVATE KEY"]) {
      assert.ok(!io.stdout.join("").includes(secret) && !io.stderr.join("").includes(secret), "no secret is printed");
    }
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const text = readFileSync(envFile, "utf8");
    assert.ok(!text.includes(EXAMPLE.client_secret), "the OAuth client secret is not kept: the App does not use it");
    // What npm start does with it: parse it as node does, then read the server's settings.
    const settings = readServerEnv(parseEnv(text));
    assert.equal(settings.APP_ID, 1);
    assert.equal(settings.privateKey.trim(), EXAMPLE.pem.trim());
    assert.equal(settings.WEBHOOK_SECRET, EXAMPLE.webhook_secret);
    assert.equal(settings.WEBHOOK_PATH, "/api/github/webhooks");
    // ...and the metrics token the image's HOST=0.0.0.0 requires, random.
    assert.match(settings.AGENT_GATE_METRICS_TOKEN ?? "", /^[0-9a-f]{48}$/);
    assert.equal(readServerEnv({ ...parseEnv(text), HOST: "0.0.0.0" }).HOST, "0.0.0.0");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--code against --api-url (the stand-in on loopback) with --private-key-file; the server started from the env file accepts a delivery signed with its secret", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-setup-"));
  const standIn = new GitHubStandIn([]);
  const api = await standIn.listen();
  const io = capture();
  const envFile = join(dir, "gate.env");
  const keyFile = join(dir, "app.pem");
  try {
    const code = standIn.createAppFromManifest({ name: "agent-gate-acme", url: "https://example.com", hook_attributes: { url: "https://gate.example.com/hooks/gh" }, default_permissions: { checks: "write" }, default_events: ["pull_request"] });
    const exit = await setupCommand(["--webhook-url", "https://gate.example.com/hooks/gh", "--api-url", api, "--code", code, "--env-file", envFile, "--private-key-file", keyFile], io);
    assert.equal(exit, 0, io.stderr.join("\n"));
    assert.match(io.stdout.join("\n"), /Created the GitHub App "agent-gate-acme" \(id 1\)/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const env = parseEnv(readFileSync(envFile, "utf8")) as NodeJS.ProcessEnv;
    assert.equal(env.PRIVATE_KEY, undefined);
    assert.equal(env.PRIVATE_KEY_PATH, keyFile);
    assert.equal(env.AGENT_GATE_GITHUB_API_URL, api, "a GitHub other than github.com's is written too");
    assert.equal(env.AGENT_GATE_WEBHOOK_URL, "https://gate.example.com/hooks/gh");

    // The code works once: GitHub's answer (404) is reported, and nothing is written.
    const again = capture();
    assert.equal(await setupCommand(["--webhook-url", "https://gate.example.com/", "--api-url", api, "--code", code, "--env-file", join(dir, "other.env"), "--json"], again), 2);
    const failure = JSON.parse(again.stdout.join("\n")) as { error: { code: string; message: string } };
    assert.equal(failure.error.code, "MANIFEST_CONVERSION_FAILED");
    assert.match(failure.error.message, /GitHub answered 404 .*used already or expired/);
    assert.throws(() => statSync(join(dir, "other.env")));

    // npm start's settings from that file: the App starts and takes a delivery signed with the written secret on
    // the webhook URL's path.
    const server = await startServer({ ...env, PORT: "0", LOG_LEVEL: "silent", AGENT_GATE_DATA_DIR: "memory://", AGENT_GATE_RECONCILE_SECONDS: "0", AGENT_GATE_POLICY_THREADS: "0" });
    try {
      const payload = { action: "created", zen: "Design for failure.", hook_id: 1, hook: { type: "App", id: 1, name: "web", active: true, events: ["pull_request"], config: { content_type: "json", url: env.AGENT_GATE_WEBHOOK_URL }, app_id: 1 } };
      const attempt = await standIn.deliver("ping", payload, { url: `http://127.0.0.1:${server.port}/hooks/gh`, secret: env.WEBHOOK_SECRET! });
      assert.ok(attempt.status_code >= 200 && attempt.status_code < 300, `delivery answered ${attempt.status_code} ${attempt.status}`);
      const wrong = await standIn.deliver("ping", payload, { url: `http://127.0.0.1:${server.port}/hooks/gh`, secret: "not-the-written-secret" });
      assert.ok(wrong.status_code >= 400, `a delivery signed with another secret answered ${wrong.status_code}`);
    } finally {
      await server.stop();
    }
  } finally {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an existing env file is never overwritten without --force, and nothing is asked of GitHub; with --force it is replaced at mode 0600", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-setup-"));
  const github = validatedGitHub([]);
  const envFile = join(dir, ".env");
  try {
    writeFileSync(envFile, "APP_ID=7\n");
    chmodSync(envFile, 0o644);
    const code = github.standIn.createAppFromManifest({ name: "agent-gate" });
    const io = capture();
    assert.equal(await setupCommand(["--webhook-url", "https://gate.example.com/", "--code", code, "--env-file", envFile, "--json"], io, { fetch: github.fetch }), 2);
    assert.equal((JSON.parse(io.stdout.join("\n")) as { error: { code: string } }).error.code, "ENV_FILE_EXISTS");
    assert.match(io.stderr.join("\n"), /exists; pass --force to replace it/);
    assert.equal(readFileSync(envFile, "utf8"), "APP_ID=7\n");
    assert.equal(github.standIn.requests.length, 0, "the one-time code is not spent");

    const forced = capture();
    assert.equal(await setupCommand(["--webhook-url", "https://gate.example.com/", "--code", code, "--env-file", envFile, "--force"], forced, { fetch: github.fetch }), 0, forced.stderr.join("\n"));
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    assert.match(readFileSync(envFile, "utf8"), /^APP_ID=1$/m);
    assert.deepEqual(github.problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("usage errors: no webhook URL, a URL that is not http(s), an unknown flag; each exit 2 with the usage", async () => {
  for (const args of [[], ["--webhook-url", "ftp://gate.example.com/"], ["--webhook-url", "https://gate.example.com/", "--colour"], ["--webhook-url", "https://gate.example.com/?x=1"]]) {
    const io = capture();
    assert.equal(await setupCommand([...args, "--json"], io), 2, args.join(" "));
    assert.equal((JSON.parse(io.stdout.join("\n")) as { error: { code: string } }).error.code, "USAGE");
    assert.match(io.stderr.join("\n"), /usage: agent-gate setup --webhook-url URL/);
  }
});

test("the stand-in's conversion answer is GitHub's documented example, still equal to the REST description's", async () => {
  const { createRequire } = await import("node:module");
  const description = createRequire(import.meta.url)("@octokit/openapi/generated/api.github.com.json") as { components: { examples: Record<string, { value: unknown }> } };
  assert.deepEqual(EXAMPLE, description.components.examples["integration-from-manifest"]!.value);
});
