// Errors posted to GitHub (deployment review comments, check runs) name the code and a public explanation, never a
// server-internal message: a database URL (with its password, user, host) reaches the log only.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Octokit } from "@octokit/rest";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { explain } from "../../src/app/evaluate-pull-request.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import { openPostgres, redactUrl } from "../../src/adapters/storage/db.js";
import { SqlAuditLog } from "../../src/adapters/storage/audit-log.js";
import type { BundleVerifier } from "../../src/adapters/sigstore/verifier.js";
import { AgentGateError, publicError } from "../../src/core/errors.js";

const D = `sha256:${"a".repeat(64)}`;
const CALLBACK = "https://api.github.com/repos/acme/web/actions/runs/77/deployment_protection_rule";
const payload = {
  action: "requested", environment: "staging", deployment_callback_url: CALLBACK,
  deployment: { id: 5, sha: "1".repeat(40), ref: "main", environment: "staging", payload: JSON.stringify({ artifacts: [D] }) },
  repository: { id: 42, name: "web", owner: { login: "acme" }, default_branch: "main" }, installation: { id: 1 },
};
const verifier: BundleVerifier = { verify: () => { throw new Error("unused"); } };

function fakeOctokit(): { octokit: Octokit; posts: Record<string, unknown>[] } {
  const posts: Record<string, unknown>[] = [];
  const octokit = { request: (route: string, params: Record<string, unknown>) => {
    if (route.startsWith("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule")) { posts.push(params); return Promise.resolve({ data: undefined, headers: {} }); }
    return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
  } } as unknown as Octokit;
  return { octokit, posts };
}

test("redactUrl keeps scheme, host, port and database: no user, no password, no query value", () => {
  const shown = redactUrl("postgres://agent_gate:Pw1Secret@db.internal:5433/gate?password=Hunter2Secret&sslkey=/k/client.key&sslpassword=KeyPass9&sslmode=require");
  assert.equal(shown, "postgres://db.internal:5433/gate?password=***&sslkey=***&sslpassword=***&sslmode=***");
  assert.equal(redactUrl("postgresql://u@h/db?password=x"), "postgresql://h/db?password=***");
  assert.equal(redactUrl("not a url"), "(unparseable URL)");
});

test("a database that is gone: the review comment names the code, the password and URL reach only the log", { timeout: 60_000 }, async () => {
  const { octokit, posts } = fakeOctokit();
  // The App's storage after start, then PostgreSQL goes away (here: a URL whose server is not there).
  const db = await openPostgres("postgres://agent_gate@127.0.0.1:1/test?password=Hunter2Secret", "agent_gate");
  try {
    const log = Object.create(SqlAuditLog.prototype, { db: { value: db }, ownsDb: { value: false } }) as SqlAuditLog;
    const engine = await PolicyEngine.load(builtinBundle());
    const r = await new DeploymentGate({ verifier, engine, auditHead: () => log.witnessHead() }).handle(new GitHubConnector().installation(octokit), payload);
    assert.equal(r.state, "rejected");
    const posted = String(posts.at(-1)?.comment);
    assert.match(posted, /AUDIT_APPEND_FAILED/);
    for (const leak of ["Hunter2Secret", "agent_gate@", "127.0.0.1", "postgres://", "ECONNREFUSED"]) assert.ok(!posted.includes(leak), `the comment shows ${leak}: ${posted}`);
    // The log gets the full message, with the URL reduced by redactUrl.
    assert.match(r.error ?? "", /AUDIT_APPEND_FAILED: .*postgres:\/\/127\.0\.0\.1:1\/test\?password=\*\*\*/);
    assert.ok(!(r.error ?? "").includes("Hunter2Secret"));
  } finally {
    await db.close();
  }
});

test("a storage error thrown by the evaluation: the comment shows the code and its summary, not the message", async () => {
  const { octokit, posts } = fakeOctokit();
  const engine = await PolicyEngine.load(builtinBundle());
  const secretMessage = "could not reach PostgreSQL at postgres://admin:S3cret@10.1.2.3:5432/prod (query)";
  const gate = new DeploymentGate({ verifier, engine });
  Object.defineProperty(gate, "evaluate", { value: () => Promise.reject(new AgentGateError("STORAGE_UNAVAILABLE", secretMessage, "transient")) });
  const r = await gate.handle(new GitHubConnector().installation(octokit), payload);
  const posted = String(posts.at(-1)?.comment);
  assert.match(posted, /STORAGE_UNAVAILABLE: PostgreSQL could not be reached/);
  assert.ok(!posted.includes("S3cret") && !posted.includes("10.1.2.3"), posted);
  assert.equal(r.error, `STORAGE_UNAVAILABLE: ${secretMessage}`);
});

test("the pull-request check run on an internal error: code and summary in title and text, the message in `error` only", () => {
  const secretMessage = "could not append decision d1 to the audit log in postgres://admin:S3cret@10.1.2.3/prod: timeout";
  for (const err of [new AgentGateError("AUDIT_APPEND_FAILED", secretMessage, "transient"), new Error(secretMessage)]) {
    const ev = explain({ error: err }, "d-1", 0);
    const shown = JSON.stringify(ev.output);
    assert.ok(!shown.includes("S3cret") && !shown.includes("10.1.2.3"), shown);
    // A plain error saying "timeout" is taken for GitHub's failure (GITHUB_UNAVAILABLE): its words stay out all the same.
    assert.match(ev.output.title, err instanceof AgentGateError ? /audit log/i : /GitHub could not serve/);
    assert.ok(ev.error?.endsWith(secretMessage));
  }
  // An error about the repository's own data keeps its message: it is what the reader must fix.
  const config = new AgentGateError("CONFIG_INVALID", "rules.x: expected a mode, got \"sometimes\"");
  assert.equal(publicError(config).message, config.message);
  assert.match(JSON.stringify(explain({ error: config }, "d-2", 0).output), /expected a mode/);
});
