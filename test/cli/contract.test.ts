// The CLI contract (src/cli/args.ts), held by every command and subcommand in main.ts's table: --help exits 0 with
// the usage on stdout; an unknown flag exits 2 with the usage on stderr and no stack trace; --json prints exactly one
// JSON document on stdout on a success and on a failure; exit codes 0 allowed / verified, 1 denied / not verified,
// 2 usage or operational error. The commands are discovered from the table: a new one fails here until it has cases.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS, main } from "../../src/cli/main.js";
import { generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { recordRealDecision, REAL_ID } from "./audit-log.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";

interface Run {
  code: number;
  out: string;
  err: string;
}

/** In-process, as the process would run it: what the command and anything it calls print, by stream. */
async function cli(args: readonly string[], io: Record<string, unknown> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  const warn = console.warn;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(" "));
  console.error = console.warn = (...a: unknown[]) => void err.push(a.map(String).join(" "));
  try {
    const code = await main([...args], { ...io, out: (t: string) => out.push(t), err: (t: string) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    console.warn = warn;
  }
}

const STACK = /^\s+at /m;

function oneDocument(r: Run, what: string): Record<string, unknown> {
  let doc: unknown;
  assert.doesNotThrow(() => (doc = JSON.parse(r.out)), `${what}: stdout is not one JSON document:\n${r.out.slice(0, 500)}\nstderr: ${r.err.slice(0, 500)}`);
  assert.ok(typeof doc === "object" && doc !== null && !Array.isArray(doc), `${what}: the document is an object`);
  return doc as Record<string, unknown>;
}

/** Every command and subcommand, as typed after `agent-gate`. */
const paths: string[][] = [];
for (const [name, entry] of Object.entries(COMMANDS)) {
  const c = await entry.load();
  if (c.subcommands && c.subcommands.length > 0) for (const s of c.subcommands) paths.push([name, s]);
  else paths.push([name]);
}

const dir = mkdtempSync(join(tmpdir(), "agent-gate-contract-"));
const file = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));
const dataDir = join(dir, "data");
const missingDir = join(dir, "no-log-here");
const CASES = "fixtures/sigstore/cases/c04-msg-v0.3-happy";
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const policyCase = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: unknown; input: unknown };

// An agent's commits in a repository of their own, and a key to sign them with.
const repo = join(dir, "repo");
mkdirSync(repo);
const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=agent", "-c", "user.email=agent@example.test", ...args], { cwd: repo, encoding: "utf8" }).trim();
git("init", "-q", "-b", "main");
git("commit", "-q", "--allow-empty", "-m", "base");
const base = git("rev-parse", "HEAD");
git("commit", "-q", "--allow-empty", "-m", "agent: one");
// the tests' own Rekor logs the key-signed bundle (attest refuses one the PR gate would refuse: nothing logged)
const world = await createTestSigstore();
const sigstore = await startSigstoreServices(world);
const attestRoot = (): string => file("attest-root.json", JSON.stringify(world.trustedRoot));
const attestIo = { cwd: repo, env: {}, fetch: globalThis.fetch, now: () => new Date("2026-11-26T08:00:00Z") };
const attestFlags = ["--repo", "acme/widgets", "--agent", "claude-code", "--agent-version", "2.0.14", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929", "--base", base, "--actor", "alice", "--actor-id", "5001"];

// GitHub's App-manifest code exchange for `setup --code`: one code converts, any other is unknown (404).
const conversion = JSON.parse(readFileSync("fixtures/github/app-manifest-conversion.json", "utf8")) as { example: Record<string, unknown> };
const github = createServer((req, res) => {
  const ok = req.method === "POST" && req.url === "/app-manifests/good-code/conversions";
  res.writeHead(ok ? 201 : 404, { "content-type": "application/json" });
  res.end(JSON.stringify(ok ? { ...conversion.example, pem: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n", webhook_secret: "s3cret" } : { message: "Not Found" }));
});
let apiUrl = "";
let envFiles = 0;
const setupFlags = (code: string): string[] => ["--webhook-url", "https://gate.example.test", "--code", code, "--api-url", apiUrl, "--env-file", join(dir, `app-${++envFiles}.env`)];

interface Case {
  /** Arguments after the command's path, and the exit code. */
  readonly ok: { readonly args: () => string[]; readonly code: 0 };
  readonly fail: { readonly args: () => string[]; readonly code: 1 | 2 };
  readonly io?: Record<string, unknown>;
}

const CASES_BY_PATH: Record<string, Case> = {
  help: { ok: { args: () => [], code: 0 }, fail: { args: () => ["no-such-command"], code: 2 } },
  demo: { ok: { args: () => ["--only", "human-pr", "--quiet"], code: 0 }, fail: { args: () => ["--only", "no-such-scenario"], code: 2 } },
  evaluate: {
    ok: { args: () => ["--scenario", "signed-agent-pr"], code: 0 },
    fail: { args: () => ["--scenario", "fixtures/scenarios/06-workflow-change-approval.json"], code: 1 },
  },
  attest: {
    ok: { args: () => [...attestFlags, "--prompt-file", file("prompt.txt", "Validate widget input.\n"), "--key", file("key.pem", generateSigningKey().privateKeyPem), "--rekor-url", sigstore.rekorUrl, "--trusted-root", attestRoot()], code: 0 },
    fail: { args: () => [...attestFlags, "--prompt-file", file("secret.txt", `use ghp_${"A1b2C3d4E5".repeat(3)}123456 to push\n`), "--key", join(dir, "key.pem")], code: 1 },
    io: attestIo,
  },
  "verify-bundle": {
    ok: { args: () => ["--bundle", `${CASES}/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, `${CASES}/artifact`], code: 0 },
    fail: { args: () => ["--bundle", `${CASES}/bundle.sigstore.json`, "--certificate-identity", "https://example.com/other", "--certificate-oidc-issuer", ISSUER, `${CASES}/artifact`], code: 1 },
  },
  "verify-commit": {
    ok: { args: () => ["--commit-file", "fixtures/gitsign/01-offline-google-2026/commit", "--certificate-identity", "billy@chainguard.dev", "--certificate-oidc-issuer", "https://accounts.google.com"], code: 0 },
    fail: { args: () => ["--commit-file", "fixtures/gitsign/03-online-github-oauth-2025/commit", "--certificate-identity", "ctadeu@gmail.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"], code: 1 },
  },
  "policy eval": {
    ok: { args: () => ["--input", file("pr.json", JSON.stringify(policyCase.input)), "--config", file("agent-gate.yml", JSON.stringify(policyCase.config))], code: 0 },
    fail: { args: () => ["--input", join(dir, "pr.json")], code: 1 },
  },
  "config validate": {
    ok: { args: () => [file("good.yml", "rules:\n  size:\n    max_files: 20\n")], code: 0 },
    fail: { args: () => [file("bad.yml", "rules:\n  size:\n    max_files: ten\n")], code: 1 },
  },
  "config impact": {
    ok: { args: () => [file("same.yml", JSON.stringify(policyCase.config)), "--repo", "acme/app", "--data-dir", dataDir], code: 0 },
    fail: { args: () => [join(dir, "same.yml"), "--repo", "acme/app", "--data-dir", missingDir], code: 2 },
  },
  setup: { ok: { args: () => setupFlags("good-code"), code: 0 }, fail: { args: () => setupFlags("used-code"), code: 2 } },
  "audit verify": { ok: { args: () => ["--data-dir", dataDir], code: 0 }, fail: { args: () => ["--file", file("broken.jsonl", "{}\n")], code: 1 } },
  "audit show": { ok: { args: () => [REAL_ID, "--data-dir", dataDir], code: 0 }, fail: { args: () => [REAL_ID, "--data-dir", missingDir], code: 2 } },
  "audit export": { ok: { args: () => ["--data-dir", dataDir], code: 0 }, fail: { args: () => ["--since", "yesterday", "--data-dir", dataDir], code: 2 } },
  "audit replay": { ok: { args: () => [REAL_ID, "--data-dir", dataDir], code: 0 }, fail: { args: () => ["dec-000001", "--data-dir", dataDir], code: 2 } },
  "audit checkpoint": { ok: { args: () => ["--note", "contract", "--data-dir", dataDir], code: 0 }, fail: { args: () => ["--data-dir", missingDir], code: 2 } },
  "audit head": { ok: { args: () => ["--data-dir", dataDir], code: 0 }, fail: { args: () => ["--data-dir", missingDir], code: 2 } },
};

before(async () => {
  await recordRealDecision({ dataDir });
  await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
});
after(async () => {
  await sigstore.close();
  github.close();
  rmSync(dir, { recursive: true, force: true });
});

test("every command and subcommand in main.ts's table has contract cases here", () => {
  assert.ok(paths.length >= 13, `found ${paths.map((p) => p.join(" ")).join(", ")}`);
  for (const p of paths) assert.ok(Object.hasOwn(CASES_BY_PATH, p.join(" ")), `no contract cases for "agent-gate ${p.join(" ")}": add them to CASES_BY_PATH`);
});

for (const path of paths) {
  const name = path.join(" ");
  const c = CASES_BY_PATH[name];
  describe(`agent-gate ${name}`, () => {
    test("--help: exit 0, the usage on stdout naming --json, nothing on stderr", async () => {
      const r = await cli([...path, "--help"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^usage: agent-gate ${name === "help" ? "<command>" : name}`));
      assert.match(r.out, /--json/);
      assert.equal(r.err, "");
    });

    test("--help --json: exit 0, one JSON document {command, usage}", async () => {
      const r = await cli([...path, "--help", "--json"]);
      assert.equal(r.code, 0, r.err);
      const doc = oneDocument(r, "--help --json");
      assert.equal(doc["command"], `agent-gate ${name === "help" ? "" : name}`.trim());
      assert.match(String(doc["usage"]), /^usage: agent-gate /);
    });

    test("--help among other arguments: exit 2, a usage error (never exit 0 for a run that was asked for)", async () => {
      for (const args of [["--help", "extra-operand"], ["extra-operand", "-h"], ["-h", "-h"]]) {
        const r = await cli([...path, ...args]);
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.out}`);
        assert.match(r.err, /--help \(-h\) is answered only on its own/);
        const j = await cli([...path, ...args, "--json"]);
        assert.equal(j.code, 2);
        assert.equal((oneDocument(j, "help among others").error as { code: string }).code, "USAGE");
      }
    });

    test("an unknown flag: exit 2, the usage on stderr, no stack trace; with --json one error document", async () => {
      const r = await cli([...path, "--no-such-flag"]);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, /--no-such-flag/);
      assert.match(r.err, /usage: agent-gate /);
      assert.doesNotMatch(r.err + r.out, STACK);
      assert.equal(r.out, "");
      const j = await cli([...path, "--no-such-flag", "--json"]);
      assert.equal(j.code, 2);
      assert.deepEqual(Object.keys(oneDocument(j, "unknown flag")), ["error"]);
      assert.equal((oneDocument(j, "unknown flag").error as { code: string }).code, "USAGE");
    });

    if (!c) return;
    test("--help after the arguments of a failing run: exit 2, not 0", async () => {
      const r = await cli([...path, ...c.fail.args(), "-h", "--json"], c.io);
      assert.equal(r.code, 2, r.out);
      assert.equal((oneDocument(r, "failing run with -h").error as { code: string }).code, "USAGE");
    });

    test(`--json on a success: exit ${c.ok.code}, one JSON document`, async () => {
      const r = await cli([...path, ...c.ok.args(), "--json"], c.io);
      assert.equal(r.code, c.ok.code, r.err);
      const doc = oneDocument(r, "success");
      assert.equal(doc["error"], undefined);
      assert.doesNotMatch(r.err, STACK);
    });

    test(`--json on a failure: exit ${c.fail.code}, one JSON document with error.code and error.message`, async () => {
      const r = await cli([...path, ...c.fail.args(), "--json"], c.io);
      assert.equal(r.code, c.fail.code, r.out + r.err);
      const doc = oneDocument(r, "failure");
      if (c.fail.code === 2 || doc["error"] !== undefined) {
        const e = doc["error"] as { code?: unknown; message?: unknown };
        assert.equal(typeof e.code, "string", JSON.stringify(doc).slice(0, 300));
        assert.equal(typeof e.message, "string");
      }
      assert.doesNotMatch(r.err + r.out, STACK);
      // The same failure without --json: the same exit code; an error (not a denial) is said on stderr.
      const plain = await cli([...path, ...c.fail.args()], c.io);
      assert.equal(plain.code, c.fail.code);
      if (c.fail.code === 2) assert.match(plain.err, /^agent-gate /m);
    });
  });
}

describe("the commands with subcommands", () => {
  const groups = [...new Set(paths.filter((p) => p.length === 2).map((p) => p[0]!))];
  for (const g of groups) {
    test(`agent-gate ${g}: --help lists its commands (exit 0); none, an unknown one or an unknown flag exit 2`, async () => {
      const h = await cli([g, "--help"]);
      assert.equal(h.code, 0);
      for (const p of paths.filter((x) => x[0] === g)) assert.match(h.out, new RegExp(`\\n  ${p[1]} `));
      assert.equal((await cli([g])).code, 2);
      const unknown = await cli([g, "frob", "--json"]);
      assert.equal(unknown.code, 2);
      assert.match((oneDocument(unknown, "unknown subcommand").error as { message: string }).message, /unknown command "frob"/);
      assert.equal((await cli([g, "--no-such-flag"])).code, 2);
    });
  }
});

test("agent-gate --version prints the package's version; --json as a document; no command is a usage error", async () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  assert.deepEqual(await cli(["--version"]), { code: 0, out: version, err: "" });
  assert.deepEqual(oneDocument(await cli(["--version", "--json"]), "version"), { version });
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /usage: agent-gate <command>/);
  assert.equal((await cli(["--bogus"])).code, 2);
  const help = await cli(["help", "audit"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: agent-gate audit <command>/);
});

test("demo --only with a name no scenario has is an error naming the known ones", async () => {
  const r = await cli(["demo", "--only", "signed-agent-prr"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--only: no scenario named like "signed-agent-prr"; expected one of: signed-agent-pr, unsigned-agent-pr, .*deploy-signed-release/);
});

describe("as its own process (node, the sources through tsx)", () => {
  const spawn = (...args: string[]): Run => {
    const p = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", 'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));', "--", ...args], {
      encoding: "utf8",
      timeout: 120_000,
    });
    return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
  };

  test("demo --json: stdout is the one document even with the App's logging around it", () => {
    const r = spawn("demo", "--only", "human-pr", "--json");
    assert.equal(r.code, 0, r.err);
    const doc = oneDocument(r, "demo");
    assert.deepEqual(doc["unexpected"], 0);
  });

  test("an unknown flag, an unreadable file and --version: exit codes and no stack trace", () => {
    const flag = spawn("verify-bundle", "--frob");
    assert.equal(flag.code, 2);
    assert.doesNotMatch(flag.err, STACK);
    const missing = spawn("policy", "eval", "--input", join(dir, "missing.json"), "--json");
    assert.equal(missing.code, 2);
    assert.doesNotMatch(missing.err, STACK);
    assert.equal(typeof (oneDocument(missing, "missing input").error as { message: string }).message, "string");
    const v = spawn("--version");
    assert.equal(v.code, 0);
    assert.match(v.out, /^\d+\.\d+\.\d+/);
  });
});

describe("agent-gate verify-commit --repo OWNER/REPO --sha SHA (the commit read through GitHub's API)", () => {
  test("--json: exit 0 verified, exit 1 when GitHub's payload is not that commit, exit 2 when GitHub fails; one document each", async () => {
    const { createTestSigstore } = await import("../support/sigstore/index.js");
    const { gitsignCommit, rawCommit } = await import("../support/gitsign-signer.js");
    const world = await createTestSigstore();
    const s = await gitsignCommit(world, rawCommit({ when: world.now, message: "Add the widget\n" }));
    const cut = s.signedCommit.indexOf("gpgsig ");
    const end = s.signedCommit.indexOf("\n\n");
    const payload = Buffer.concat([s.signedCommit.subarray(0, cut), s.signedCommit.subarray(end + 1)]).toString("utf8");
    const answer = (p: string): Response => new Response(JSON.stringify({ sha: s.sha, verification: { verified: false, reason: "unknown_signature_type", payload: p, signature: s.pem, verified_at: null } }), { status: 200 });
    const io = (fetch: () => Promise<Response>): Record<string, unknown> => ({ env: { GITHUB_API_URL: "https://api.github.test" }, fetch });
    const args = ["--repo", "acme/widgets", "--sha", s.sha, "--certificate-identity", "agent@example.test", "--certificate-oidc-issuer", "https://accounts.google.com", "--trusted-root", file("gitsign-root.json", JSON.stringify(world.trustedRoot)), "--json"];
    const ok = await cli(["verify-commit", ...args], io(() => Promise.resolve(answer(payload))));
    assert.equal(ok.code, 0, ok.err);
    assert.equal(oneDocument(ok, "verified").verified, true);
    const moved = await cli(["verify-commit", ...args], io(() => Promise.resolve(answer(payload.replace("Add the widget", "Add the gadget")))));
    assert.equal(moved.code, 1, moved.err);
    assert.equal((oneDocument(moved, "mismatch").error as { code: string }).code, "COMMIT_MISMATCH");
    const down = await cli(["verify-commit", ...args], io(() => Promise.resolve(new Response("Bad Gateway", { status: 502 }))));
    assert.equal(down.code, 2);
    assert.equal((oneDocument(down, "unavailable").error as { code: string }).code, "GITHUB_UNAVAILABLE");
    assert.doesNotMatch(ok.err + moved.err + down.err, STACK);
  });
});
