// The deployment gate's work is bounded on what a deployment names: at most 20 distinct artifacts (payload and the
// environment's config together, rejected before any is looked up), at most 100 attestations in all, and nothing more
// is listed, downloaded or verified once the deadline has answered. Work is counted in requests and verifications.
// The caps are written out (20, 100) so that the behaviour, not an export, is what fails without them.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Octokit } from "@octokit/rest";
import { DeploymentGate } from "../../src/app/deployment-gate.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import type { BundleVerifier } from "../../src/adapters/sigstore/verifier.js";
import type { ConfigSource } from "../../src/adapters/github/config-source.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import { INSTALLED_ON_ALL } from "../support/github.js";

const CALLBACK = "https://api.github.com/repos/acme/web/actions/runs/77/deployment_protection_rule";
const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, "0")}`;
const digests = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => digest(from + i));

function payload(artifacts: unknown[]): Record<string, unknown> {
  return {
    action: "requested",
    environment: "staging",
    deployment_callback_url: CALLBACK,
    deployment: { id: 5, sha: "1".repeat(40), ref: "main", environment: "staging", payload: { artifacts } },
    repository: { id: 42, name: "web", owner: { login: "acme" }, default_branch: "main" },
    installation: { id: 1 },
  };
}

function configSource(extra = ""): ConfigSource {
  const config = { text: `deployments:\n  default:\n    builders: [b1]\n${extra}`, source: "acme/web:.github/agent-gate.yml", repo: "web", path: ".github/agent-gate.yml", digest: `sha256:${"c".repeat(64)}` };
  return { fetchFile: (_o: unknown, _owner: string, repo: string) => Promise.resolve(repo === "web" ? config : null), read: () => Promise.resolve({ missing: "file" }) } as unknown as ConfigSource;
}

type List = (params: Record<string, unknown>) => Promise<{ data: unknown; headers?: Record<string, string> }>;
interface Counted {
  octokit: Octokit;
  lists: Record<string, unknown>[];
  answers: Record<string, unknown>[];
}
function counting(list: List): Counted {
  const out: Counted = { octokit: undefined as unknown as Octokit, lists: [], answers: [] };
  out.octokit = {
    request: (route: string, params: Record<string, unknown>) => {
      if (route.startsWith("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule")) {
        if (params.state !== undefined) out.answers.push(params);
        return Promise.resolve({ data: undefined, headers: {} });
      }
      if (route === "GET /installation/repositories") return Promise.resolve(INSTALLED_ON_ALL);
      if (route.startsWith("GET /repos/{owner}/{repo}/attestations/")) {
        out.lists.push(params);
        return list(params);
      }
      return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
    },
  } as unknown as Octokit;
  return out;
}

function countingVerifier(): { verifier: BundleVerifier; verifies: () => number } {
  let n = 0;
  return { verifier: { verify: () => (n++, { ok: false, code: "SIGNATURE_INVALID", message: "not signed" }) as never }, verifies: () => n };
}

const inline = (n: number): { data: unknown } => ({ data: { attestations: Array.from({ length: n }, (_, i) => ({ bundle: { n: i } })) } });
const engine = await PolicyEngine.load(builtinBundle());

test("a deployment naming more than 20 distinct artifacts is rejected with the count and the cap, before any is looked up", async () => {
  const gh = counting(() => Promise.resolve(inline(1)));
  const { verifier, verifies } = countingVerifier();
  const r = await new DeploymentGate({ verifier, engine }).handle(new GitHubConnector({ configs: configSource() }).installation(gh.octokit), payload(digests(21)));
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /TOO_MANY_ARTIFACTS: the deployment names 21 distinct artifact digests \(21 in its payload's artifacts, 0 in the environment's config\); agent-gate verifies at most 20 for one deployment/);
  assert.equal(gh.lists.length, 0, "no attestation list was requested");
  assert.equal(verifies(), 0);
  assert.equal(gh.answers.at(-1)?.state, "rejected");
});

test("the environment's configured artifacts count toward the 20; repeated digests count once", async () => {
  const configured = configSource(`    artifacts: ["${digest(1000)}", "${digest(1001)}"]\n`);
  const over = counting(() => Promise.resolve(inline(1)));
  const { verifier } = countingVerifier();
  const r = await new DeploymentGate({ verifier, engine }).handle(new GitHubConnector({ configs: configured }).installation(over.octokit), payload(digests(19)));
  assert.match(r.comment, /TOO_MANY_ARTIFACTS: the deployment names 21 distinct artifact digests \(19 in its payload's artifacts, 2 in the environment's config\)/);
  assert.equal(over.lists.length, 0);
  // 18 named (each twice, and as {digest}) + 2 configured = 20: at the cap, every one is looked up.
  const at = counting(() => Promise.resolve(inline(1)));
  const named = [...digests(18), ...digests(18).map((d) => ({ digest: d }))];
  const ok = await new DeploymentGate({ verifier, engine }).handle(new GitHubConnector({ configs: configured }).installation(at.octokit), payload(named));
  assert.doesNotMatch(ok.comment, /TOO_MANY_ARTIFACTS/);
  assert.equal(at.lists.length, 20);
});

test("at most 100 attestations are read and verified for one deployment, all its artifacts together", async () => {
  // Three artifacts of 40 attestations each: each is under the 50 of one artifact, 120 in all.
  const gh = counting(() => Promise.resolve(inline(40)));
  const { verifier, verifies } = countingVerifier();
  const r = await new DeploymentGate({ verifier, engine }).handle(new GitHubConnector({ configs: configSource() }).installation(gh.octokit), payload(digests(3)));
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /TOO_MANY_ATTESTATIONS: the deployment's artifacts have more than 100 attestations in all \(80 of the artifacts before sha256.*000000000000, then more than 20 of it\); agent-gate verifies at most 100 for one deployment/);
  assert.ok(verifies() <= 100, `${verifies()} verifications`);
  assert.equal(gh.lists.at(-1)?.subject_digest, digest(2));
});

test("after the deadline has answered, no further attestation list is requested and nothing more is verified", async () => {
  let release: (v: { data: unknown }) => void = () => undefined;
  const gh = counting((params) => (params.subject_digest === digest(0) ? new Promise((r) => (release = r)) : Promise.resolve(inline(50))));
  const { verifier, verifies } = countingVerifier();
  const r = await new DeploymentGate({ verifier, engine, timeoutMs: 30 }).handle(new GitHubConnector({ configs: configSource() }).installation(gh.octokit), payload(digests(20)));
  assert.equal(r.state, "rejected");
  assert.match(r.comment, /DEPLOYMENT_TIMEOUT/);
  assert.equal(gh.answers.length, 1);
  assert.equal(gh.lists.length, 1);
  // The request under way was given the evaluation's signal, aborted by the answer (a real client cuts it off).
  const signal = (gh.lists[0]?.request as { signal?: AbortSignal } | undefined)?.signal;
  assert.equal(signal?.aborted, true, "the list request carries a signal aborted when the deployment was answered");
  // Even a request that answers anyway starts nothing more.
  release(inline(50));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gh.lists.length, 1, "no attestation list requested after the answer");
  assert.equal(verifies(), 0, "no bundle verified after the answer");
  assert.equal(gh.answers.length, 1);
});

test("a bundle download under way when the deadline answers is aborted", async () => {
  const gh = counting(() => Promise.resolve({ data: { attestations: [{ bundle: null, bundle_url: "https://bundles.example/b1" }, { bundle: null, bundle_url: "https://bundles.example/b2" }] } }));
  const fetched: AbortSignal[] = [];
  const bundleFetch = ((_url: URL, init?: RequestInit): Promise<Response> => {
    const signal = init!.signal!;
    fetched.push(signal);
    return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }));
  }) as typeof globalThis.fetch;
  const { verifier, verifies } = countingVerifier();
  const r = await new DeploymentGate({ verifier, engine, timeoutMs: 30, bundleFetch }).handle(new GitHubConnector({ configs: configSource() }).installation(gh.octokit), payload(digests(2)));
  assert.match(r.comment, /DEPLOYMENT_TIMEOUT/);
  assert.equal(fetched.length, 1);
  assert.equal(fetched[0]?.aborted, true, "the download was cut off by the answer");
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(fetched.length, 1, "no other bundle downloaded after the answer");
  assert.equal(gh.lists.length, 1);
  assert.equal(verifies(), 0);
});
