// The deployment gate's parts without HTTP: the callback URL check, attestation download (bundle: null ->
// bundle_url, Snappy), comment limits, and fail-closed answers on a timeout or an internal error.
import { test } from "node:test";
import assert from "node:assert/strict";
import snappy from "snappyjs";
import type { Octokit } from "@octokit/rest";
import { MAX_ATTESTATIONS, callbackRunId, clampComment, fetchAttestations, parseDeploymentRequest } from "../../src/adapters/github/deployment-protection.js";
import { answerComment } from "../../src/render/deployment-comment.js";
import { DeploymentGate, artifactDigests, attestationSigners, builderId, environmentSettings } from "../../src/app/deployment-gate.js";
import { defaultRepoConfig, parseRepoConfig } from "../../src/config/repo-config.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import type { BundleVerifier } from "../../src/adapters/sigstore/verifier.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { ConfigSource } from "../../src/adapters/github/config-source.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import { INSTALLED_ON_ALL } from "../support/github.js";

const D = `sha256:${"a".repeat(64)}`;
const CALLBACK = "https://api.github.com/repos/acme/web/actions/runs/77/deployment_protection_rule";

function payload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: "requested",
    environment: "staging",
    deployment_callback_url: CALLBACK,
    deployment: { id: 5, sha: "1".repeat(40), ref: "main", environment: "staging", payload: JSON.stringify({ artifacts: [D] }) },
    repository: { id: 42, name: "web", owner: { login: "acme" }, default_branch: "main" },
    installation: { id: 1 },
    ...extra,
  };
}

type Handler = (route: string, params: Record<string, unknown>) => Promise<{ data: unknown; headers?: Record<string, string> }>;
function fakeOctokit(handler: Handler): { octokit: Octokit; posts: Record<string, unknown>[] } {
  const posts: Record<string, unknown>[] = [];
  const octokit = {
    request: (route: string, params: Record<string, unknown>) => {
      if (route.startsWith("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule")) {
        posts.push(params);
        return Promise.resolve({ data: undefined, headers: {} });
      }
      if (route.startsWith("GET /repos/{owner}/{repo}/contents/")) return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
      if (route === "GET /installation/repositories") return Promise.resolve(INSTALLED_ON_ALL);
      return handler(route, params);
    },
  } as unknown as Octokit;
  return { octokit, posts };
}

test("the callback must be this repository's deployment protection rule route", () => {
  assert.equal(callbackRunId(CALLBACK, "acme", "web"), 77);
  assert.equal(callbackRunId("https://ghe.example/api/v3/repos/Acme/Web/actions/runs/9/deployment_protection_rule", "acme", "web"), 9);
  for (const bad of ["https://api.github.com/repos/evil/web/actions/runs/77/deployment_protection_rule", "https://api.github.com/repos/acme/web/issues/1/comments", "not a url"]) {
    assert.throws(() => callbackRunId(bad, "acme", "web"), (e: unknown) => e instanceof AgentGateError && e.code === "WEBHOOK_PAYLOAD_INVALID");
  }
});

test("a deployment payload sent as a JSON string is parsed; a non-JSON string is refused", () => {
  assert.deepEqual(parseDeploymentRequest(payload()).payload, { artifacts: [D] });
  const broken = payload();
  (broken.deployment as Record<string, unknown>).payload = "{not json";
  assert.throws(() => parseDeploymentRequest(broken), /not JSON/);
  assert.throws(() => parseDeploymentRequest({ ...payload(), environment: undefined }), /environment/);
});

test("attestations: bundle null -> bundle_url without the token, Snappy-decoded; inline bundles used as they are", async () => {
  const bundle = { mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", marker: 1 };
  const seen: { url: string; auth: string | null }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const r = new Request(input, init);
    seen.push({ url: r.url, auth: r.headers.get("authorization") });
    const body = r.url.endsWith("/garbage") ? new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) : snappy.compress(new TextEncoder().encode(JSON.stringify(bundle)));
    return Promise.resolve(new Response(body, { status: 200 }));
  };
  const { octokit } = fakeOctokit(() =>
    Promise.resolve({
      data: {
        attestations: [
          { bundle: null, bundle_url: "https://bundles.example/b1" },
          { bundle: { inline: true } },
          { bundle: null, bundle_url: "https://bundles.example/garbage" },
          { bundle: null, bundle_url: "http://bundles.example/plain" },
          { bundle: null },
        ],
      },
    }),
  );
  const out = await fetchAttestations(octokit, "acme", "web", D, { fetch });
  assert.deepEqual(out[0], { bundle });
  assert.deepEqual(out[1], { bundle: { inline: true } });
  assert.match(out[2]!.problem ?? "", /Snappy/);
  assert.match(out[3]!.problem ?? "", /not https/);
  assert.match(out[4]!.problem ?? "", /neither a bundle nor a bundle_url/);
  assert.deepEqual(seen.map((s) => s.auth), [null, null], "two downloads, neither with a token");
});

test("attestations: a bundle_url answering more than a bundle can be is refused while it streams", async () => {
  let pulled = 0;
  const endless = (): Response =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          pulled += 64 * 1024;
          c.enqueue(new Uint8Array(64 * 1024));
        },
      }),
      { status: 200 },
    );
  const { octokit } = fakeOctokit(() => Promise.resolve({ data: { attestations: [{ bundle: null, bundle_url: "https://bundles.example/huge" }] } }));
  const [out] = await fetchAttestations(octokit, "acme", "web", D, { fetch: () => Promise.resolve(endless()) });
  assert.match(out!.problem ?? "", /larger than/);
  assert.ok(pulled < 6 * 1024 * 1024, `read ${pulled} bytes of an endless body`);
  const declared = await fetchAttestations(octokit, "acme", "web", D, { fetch: () => Promise.resolve(new Response("x", { status: 200, headers: { "content-length": String(50 * 1024 * 1024) } })) });
  assert.match(declared[0]!.problem ?? "", /larger than/);
});

test("attestations: a 404 list is no attestation; a failed download is an error (the caller rejects)", async () => {
  const { octokit: none } = fakeOctokit(() => Promise.reject(Object.assign(new Error("Not Found"), { status: 404 })));
  assert.deepEqual(await fetchAttestations(none, "acme", "web", D), []);
  const { octokit } = fakeOctokit(() => Promise.resolve({ data: { attestations: [{ bundle_url: "https://bundles.example/b1" }] } }));
  await assert.rejects(fetchAttestations(octokit, "acme", "web", D, { fetch: () => Promise.resolve(new Response("x", { status: 500 })) }), /ATTESTATIONS_UNAVAILABLE|could not be downloaded/);
});

/** GitHub's attestation list paged `size` at a time with the cursor `after` (Link rel="next"), as the API pages it. */
function pagedList(entries: readonly unknown[], size = 10): { octokit: Octokit; pages: (string | undefined)[] } {
  const pages: (string | undefined)[] = [];
  const { octokit } = fakeOctokit((route, params) => {
    assert.match(route, /^GET \/repos\/\{owner\}\/\{repo\}\/attestations\/\{subject_digest\}/);
    const after = params["after"] as string | undefined;
    pages.push(after);
    const from = after === undefined ? 0 : Number(after.slice(2));
    const next = from + size < entries.length ? `<https://api.github.com/repositories/42/attestations/${D}?per_page=100&after=c_${from + size}>; rel="next"` : undefined;
    const headers: Record<string, string> = next ? { link: next } : {};
    return Promise.resolve({ data: { attestations: entries.slice(from, from + size) }, headers });
  });
  return { octokit, pages };
}

test("attestations: the list is read whole, page after page (cursor `after`), past GitHub's page and the old 20", async () => {
  const { octokit, pages } = pagedList(Array.from({ length: 25 }, (_, i) => ({ bundle: { n: i } })));
  const out = await fetchAttestations(octokit, "acme", "web", D);
  assert.deepEqual(out.map((a) => (a.bundle as { n: number }).n), Array.from({ length: 25 }, (_, i) => i));
  assert.deepEqual(pages, [undefined, "c_10", "c_20"]);
});

test("attestations: more than the cap rejects with how many were listed, before any bundle is read", async () => {
  let downloads = 0;
  const fetch = (): Promise<Response> => (downloads++, Promise.resolve(new Response("x")));
  const many = pagedList(Array.from({ length: MAX_ATTESTATIONS + 1 }, () => ({ bundle_url: "https://bundles.example/b" })));
  await assert.rejects(fetchAttestations(many.octokit, "acme", "web", D, { fetch }), (e: unknown) => {
    assert.ok(e instanceof AgentGateError && e.code === "TOO_MANY_ATTESTATIONS", String(e));
    assert.match(e.message, new RegExp(`more than ${MAX_ATTESTATIONS} attestations of artifact sha256:aaaaaaaaaaaa \\(${MAX_ATTESTATIONS + 1} read\\); agent-gate verifies at most ${MAX_ATTESTATIONS}`));
    return true;
  });
  assert.equal(downloads, 0, "no bundle of a list that is rejected is downloaded");
  const exactly = pagedList(Array.from({ length: MAX_ATTESTATIONS }, (_, i) => ({ bundle: { n: i } })));
  assert.equal((await fetchAttestations(exactly.octokit, "acme", "web", D)).length, MAX_ATTESTATIONS, "the cap itself is read whole");
  // One page of 100 (GitHub's largest) past a lower cap: rejected on that page, the next never asked for.
  const big = pagedList(Array.from({ length: 150 }, (_, i) => ({ bundle: { n: i } })), 100);
  await assert.rejects(fetchAttestations(big.octokit, "acme", "web", D, { maxAttestations: 30 }), /more than 30 attestations of artifact sha256:aaaaaaaaaaaa \(100 read\)/);
  assert.equal(big.pages.length, 1);
});

test("attestations: a page that fails, or paging that cannot go on, is an error (the caller rejects), never a shorter list", async () => {
  const link = (after: string): Record<string, string> => ({ link: `<https://api.github.com/repositories/42/attestations/${D}?per_page=100${after}>; rel="next"` });
  const cases: [string, Handler, RegExp][] = [
    ["a later page fails", (_, p) => (p["after"] ? Promise.reject(Object.assign(new Error("boom"), { status: 502 })) : Promise.resolve({ data: { attestations: [{ bundle: {} }] }, headers: link("&after=c_1") })), /page 2 did not answer: HTTP 502/],
    ["a later page is not found", (_, p) => (p["after"] ? Promise.reject(Object.assign(new Error("Not Found"), { status: 404 })) : Promise.resolve({ data: { attestations: [{ bundle: {} }] }, headers: link("&after=c_1") })), /page 2 did not answer: HTTP 404/],
    ["a later page is not a list", (_, p) => Promise.resolve(p["after"] ? { data: { attestations: "no" } } : { data: { attestations: [{ bundle: {} }] }, headers: link("&after=c_1") }), /page 2 is not a list of attestations/],
    ["a next page without a cursor", () => Promise.resolve({ data: { attestations: [{ bundle: {} }] }, headers: link("&page=2") }), /links a next page without an `after` cursor/],
    ["an empty page that links a next one", () => Promise.resolve({ data: { attestations: [] }, headers: link("&after=c_0") }), /page 1 holds no attestations but links a next page/],
    ["a cursor read before", () => Promise.resolve({ data: { attestations: [{ bundle: {} }] }, headers: link("&after=c_1") }), /page 2 links a cursor already read/],
  ];
  for (const [name, handler, why] of cases) {
    const { octokit } = fakeOctokit(handler);
    await assert.rejects(fetchAttestations(octokit, "acme", "web", D), (e: unknown) => e instanceof AgentGateError && e.code === "ATTESTATIONS_UNAVAILABLE" && why.test(e.message), name);
  }
});

test("comments fit GitHub's 1,024 characters", () => {
  assert.equal(clampComment("x".repeat(5000)).length, 1024);
  const many = Array.from({ length: 100 }, (_, i) => ({ rule: "r", msg: `reason number ${i} ${"y".repeat(30)}` }));
  const c = answerComment("rejected", many, ["artifact: IDENTITY_MISMATCH"], "production");
  assert.ok(c.length <= 1024);
  assert.match(c, /^agent-gate rejected the deployment to production:\n- reason number 0/);
});

test("environment settings, artifacts, signers and builder ids", () => {
  const parsed = parseRepoConfig("deployments:\n  default:\n    builders: [b1]\n    artifacts: ['" + D + "']\n  environments:\n    production:\n      signers: [{identity: s1, issuer: i1}]\n");
  assert.ok(parsed.ok);
  const prod = environmentSettings(parsed.config, "production");
  assert.equal(prod.agent_extra_approvals, 1, "production keeps its default extra approval");
  assert.deepEqual(attestationSigners(prod), [{ kind: "any-certificate" }], "listed signers: any certified identity, matched by the policy");
  assert.deepEqual(attestationSigners(environmentSettings(parsed.config, "staging")), [{ kind: "certificate", identity: "b1", issuer: "https://token.actions.githubusercontent.com" }]);
  assert.deepEqual(attestationSigners(environmentSettings(defaultRepoConfig(), "staging")), [], "nothing trusted by default");
  const other = `sha256:${"b".repeat(64)}`;
  assert.deepEqual(artifactDigests({ artifacts: [other, { digest: D }] }, prod), [other, D]);
  assert.throws(() => artifactDigests({ artifacts: ["sha256:short"] }, prod), /DEPLOYMENT_PAYLOAD_INVALID|not a digest/);
  assert.equal(builderId({ runDetails: { builder: { id: "v1" } } }), "v1");
  assert.equal(builderId({ builder: { id: "v02" } }), "v02");
  assert.equal(builderId(null), undefined);
});

test("a timeout rejects with the reason; an internal error rejects; neither approves", async () => {
  const engine = await PolicyEngine.load(builtinBundle());
  const throwing: BundleVerifier = {
    verify: () => {
      throw new Error("boom");
    },
  };
  // The attestation list never answers: the deadline rejects.
  const hang = fakeOctokit(() => new Promise(() => undefined));
  const slow = await new DeploymentGate({ verifier: throwing, engine, timeoutMs: 50 }).handle(new GitHubConnector().installation(hang.octokit), payload());
  assert.equal(slow.state, "rejected");
  assert.match(slow.comment, /DEPLOYMENT_TIMEOUT/);
  assert.equal(hang.posts.at(-1)?.state, "rejected");
  // A verifier that throws (it never should): an internal error, rejected.
  const list = fakeOctokit(() => Promise.resolve({ data: { attestations: [{ bundle: { any: 1 } }] } }));
  const config = { text: "deployments:\n  default:\n    builders: [b1]\n", source: "acme/web:.github/agent-gate.yml", repo: "web", path: ".github/agent-gate.yml", digest: `sha256:${"c".repeat(64)}` };
  // The repository's config; no .github repository (its files missing for certain).
  const configSource = { fetchFile: (_o: unknown, _owner: string, repo: string) => Promise.resolve(repo === "web" ? config : null), read: () => Promise.resolve({ missing: "file" }) } as unknown as ConfigSource;
  const broken = await new DeploymentGate({ verifier: throwing, engine }).handle(new GitHubConnector({ configs: configSource }).installation(list.octokit), payload());
  assert.equal(broken.state, "rejected");
  // The comment is GitHub's: the code and its public explanation; the thrown message goes to the log only.
  assert.match(broken.comment, /INTERNAL_ERROR: An unexpected failure/);
  assert.doesNotMatch(broken.comment, /boom/);
  assert.match(broken.error ?? "", /^INTERNAL_ERROR: boom$/);
  assert.ok(list.posts.every((p) => p.environment_name === "staging" && p.run_id === 77));
});
