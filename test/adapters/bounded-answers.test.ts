// Every HTTP answer the App and the CLI read from outside is read with a cap and under a deadline (bounded-read.ts):
// an endless answer costs the cap, a service that never answers fails the command with its name. One case per
// reader: the CLI's timestamp authority, Rekor v2, Actions OIDC, the pull request it publishes to, the App
// manifest's code exchange, and the App's policy bundle URL.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { requestTimestamp, TSA_ANSWER_MAX_BYTES } from "../../src/adapters/sigstore/signing/tsa-witness.js";
import { httpRekorV2Uploader, REKOR_ANSWER_MAX_BYTES } from "../../src/adapters/sigstore/signing/rekor-witnesses.js";
import { actionsIdToken } from "../../src/app/attest.js";
import { readPullBody, writePullBody } from "../../src/adapters/github/pull-body.js";
import { convertManifest } from "../../src/adapters/github/app-manifest.js";
import { fetchBundle } from "../../src/adapters/opa/bundle-source.js";
import { ANSWER_DEADLINE_MS } from "../../src/adapters/bounded-read.js";
import { AgentGateError } from "../../src/core/errors.js";
import { HttpTimeoutError } from "../../src/adapters/github/http.js";

/** An answer that never ends (no Content-Length), counting what was pulled from it and whether it was cancelled. */
function endless(status = 200): { res: Response; pulled: () => number; cancelled: () => boolean } {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      pulled += 64 * 1024;
      ctrl.enqueue(new Uint8Array(64 * 1024).fill(0x7b)); // "{{{{": never valid JSON, never a DER answer
    },
    cancel() {
      cancelled = true;
    },
  });
  return { res: new Response(body, { status }), pulled: () => pulled, cancelled: () => cancelled };
}

/** A fetch that answers `res` and records the signal each request carried. */
function answering(res: () => Response): { fetch: typeof fetch; signals: (AbortSignal | null | undefined)[] } {
  const signals: (AbortSignal | null | undefined)[] = [];
  const f = ((_url: unknown, init?: RequestInit) => {
    signals.push(init?.signal);
    return Promise.resolve(res());
  }) as typeof fetch;
  return { fetch: f, signals };
}

/** A fetch whose request passes its deadline: what fetchWithTimeout (src/adapters/github/http.ts) rejects with. */
const late = ((url: string | URL, init?: RequestInit) => Promise.reject(new HttpTimeoutError(init?.method ?? "GET", String(url), ANSWER_DEADLINE_MS))) as typeof fetch;

const failsWith = (code: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AgentGateError, `expected an AgentGateError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, message);
  return true;
};

const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
const signed = { $case: "messageSignature" as const, messageSignature: { messageDigest: { algorithm: 1, digest: Buffer.alloc(32, 1) }, signature: Buffer.alloc(64, 2) } };

// Without a cap an endless answer is read for ever: the timeout makes that a failure, not a hung run.
describe("answers from outside are read with a cap and under a deadline", { timeout: 60_000 }, () => {
  it("the timestamp authority: an endless answer is cut off past its cap; a late one is 'did not answer'", async () => {
    const a = endless();
    const { fetch, signals } = answering(() => a.res);
    await assert.rejects(requestTimestamp("https://tsa.example.test/api/v1/timestamp", Buffer.alloc(64), fetch), failsWith("TSA_FAILED", new RegExp(`more than ${TSA_ANSWER_MAX_BYTES} bytes`)));
    assert.ok(a.cancelled() && a.pulled() <= TSA_ANSWER_MAX_BYTES + 3 * 64 * 1024, `pulled ${a.pulled()}`);
    assert.ok(signals[0] instanceof AbortSignal, "the request carries a deadline");
    await assert.rejects(requestTimestamp("https://tsa.example.test/api/v1/timestamp", Buffer.alloc(64), late), failsWith("TSA_UNREACHABLE", new RegExp(`did not answer: POST \\S+ did not complete within ${ANSWER_DEADLINE_MS} ms`)));
  });

  it("Rekor v2: an endless answer is cut off past its cap, a non-JSON one is named, a late one is 'did not answer'", async () => {
    const a = endless(201);
    const { fetch, signals } = answering(() => a.res);
    await assert.rejects(httpRekorV2Uploader("https://rekor.example.test", fetch).testify(signed, key), failsWith("REKOR_FAILED", new RegExp(`more than ${REKOR_ANSWER_MAX_BYTES} bytes; expected its log entry`)));
    assert.ok(a.cancelled() && a.pulled() <= REKOR_ANSWER_MAX_BYTES + 3 * 64 * 1024, `pulled ${a.pulled()}`);
    assert.ok(signals[0] instanceof AbortSignal);
    const notJson = answering(() => new Response("<html>", { status: 201 }));
    await assert.rejects(httpRekorV2Uploader("https://rekor.example.test", notJson.fetch).testify(signed, key), failsWith("REKOR_FAILED", /answered text that is not JSON( \([^)]*\))?; expected its log entry as JSON/));
    await assert.rejects(httpRekorV2Uploader("https://rekor.example.test", late).testify(signed, key), failsWith("REKOR_UNREACHABLE", new RegExp(`did not answer: POST \\S+ did not complete within ${ANSWER_DEADLINE_MS} ms`)));
  });

  it("the Actions OIDC endpoint: an endless answer is cut off, a late one is 'did not answer within'", async () => {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: "https://oidc.example.test/token", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" };
    const a = endless();
    const { fetch, signals } = answering(() => a.res);
    await assert.rejects(actionsIdToken(env, fetch), failsWith("OIDC_FAILED", /more than 65536 bytes; expected \{"value": "<token>"\}/));
    assert.ok(a.cancelled() && a.pulled() <= 64 * 1024 + 3 * 64 * 1024);
    assert.ok(signals[0] instanceof AbortSignal);
    await assert.rejects(actionsIdToken(env, late), failsWith("OIDC_UNREACHABLE", new RegExp(`did not answer: GET \\S+ did not complete within ${ANSWER_DEADLINE_MS} ms`)));
    const ok = answering(() => new Response(JSON.stringify({ value: "a.b.c" })));
    assert.equal(await actionsIdToken(env, ok.fetch), "a.b.c");
  });

  it("the pull request the CLI publishes to: read capped, refusals' text capped, both requests under a deadline", async () => {
    const a = endless();
    const got = answering(() => a.res);
    const target = { api: "https://api.example.test", token: "tok", repository: "o/r", pr: 1 };
    await assert.rejects(readPullBody({ ...target, fetch: got.fetch }), failsWith("PUBLISH_FAILED", /more than 4194304 bytes; expected a pull request/));
    assert.ok(a.cancelled());
    assert.ok(got.signals[0] instanceof AbortSignal);
    // A refusal with an endless body: its status is said, its body not read past the cap.
    const refusal = endless(422);
    const put = answering(() => refusal.res);
    await assert.rejects(writePullBody({ ...target, fetch: put.fetch }, "body"), failsWith("PUBLISH_FAILED", /^PATCH \S+ answered HTTP 422$/));
    assert.ok(refusal.cancelled() && refusal.pulled() <= 4096 + 3 * 64 * 1024);
    assert.ok(put.signals[0] instanceof AbortSignal);
    await assert.rejects(readPullBody({ ...target, fetch: late }), failsWith("PUBLISH_FAILED", new RegExp(`^GET \\S+ did not complete within ${ANSWER_DEADLINE_MS} ms`)));
    const ok = answering(() => new Response(JSON.stringify({ body: "hi", head: { sha: "a".repeat(40) } })));
    assert.deepEqual(await readPullBody({ ...target, fetch: ok.fetch }), { body: "hi", headSha: "a".repeat(40) });
  });

  it("the App manifest's code exchange: an endless answer is refused past its cap", async () => {
    const a = endless(201);
    const { fetch } = answering(() => a.res);
    const r = await convertManifest("https://api.example.test", "code", fetch);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : "", /over 1048576 bytes; expected the new App's settings/);
    assert.ok(a.cancelled());
  });

  it("the policy bundle URL: an answer without a length is cut off past the bundle cap", async () => {
    const a = endless();
    const { fetch } = answering(() => a.res);
    await assert.rejects(fetchBundle("https://bundles.example.test/b.tar.gz", "a".repeat(64), { fetch }), failsWith("POLICY_BUNDLE_INVALID", /larger than \d+ bytes/));
    assert.ok(a.cancelled());
  });
});
