// The verifier's caches are bounded by entries and by weight, and forget the least recently used first: a
// long-running App sees an endless stream of distinct bundles and (keyless) certificates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LruCache } from "../../../src/adapters/lru.js";
import { createVerifier, DEFAULT_CERTIFICATE_CACHE_SIZE, DEFAULT_VERDICT_CACHE_BYTES, DEFAULT_MAX_BUNDLE_BYTES } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, VerifyRequest } from "../../../src/adapters/sigstore/verifier.js";
import { AgentGateError } from "../../../src/core/errors.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../support/sigstore/index.js";

test("LruCache keeps at most maxEntries, forgetting the least recently used", () => {
  const c = new LruCache<string, number>(2);
  c.set("a", 1);
  c.set("b", 2);
  assert.equal(c.get("a"), 1); // a is now more recent than b
  c.set("c", 3);
  assert.equal(c.size, 2);
  assert.equal(c.get("b"), undefined);
  assert.equal(c.get("a"), 1);
  assert.equal(c.get("c"), 3);
});

test("LruCache keeps its total weight within maxWeight; an entry heavier than that is not stored", () => {
  const c = new LruCache<string, string>(100, 10);
  c.set("a", "x", 4);
  c.set("b", "y", 4);
  c.set("c", "z", 4); // 12 > 10: a goes
  assert.deepEqual([c.get("a"), c.get("b"), c.get("c")], [undefined, "y", "z"]);
  assert.equal(c.weight, 8);
  c.set("huge", "w", 11);
  assert.equal(c.get("huge"), undefined);
  assert.equal(c.weight, 8);
  c.set("b", "y2", 1); // replacing an entry replaces its weight
  assert.equal(c.weight, 5);
  assert.equal(c.size, 2);
});

test("LruCache with no room stores nothing; negative bounds are refused", () => {
  const c = new LruCache<string, number>(0);
  c.set("a", 1);
  assert.equal(c.size, 0);
  const weightless = new LruCache<string, number>(5, 0);
  weightless.set("a", 1);
  assert.equal(weightless.size, 0);
  assert.throws(() => new LruCache(-1), RangeError);
  assert.throws(() => new LruCache(1, -1), RangeError);
});

const world = await createTestSigstore();
const signer: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
// Keyless: every bundle is signed with a fresh certificate, as with Fulcio.
const bundles: string[] = [];
for (let i = 0; i < 6; i++) {
  const statement = { subjects: [{ name: "r", digest: { gitCommit: i.toString(16).padStart(40, "0") } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { n: i } };
  bundles.push(JSON.stringify((await world.sign({ payload: { kind: "dsse", statement } })).bundle));
}
const request = (bundle: string): VerifyRequest => ({ bundle, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer });

test("the verifier holds at most verdictCacheSize verdicts and certificateCacheSize certificates", () => {
  const v = createVerifier({ trustedRoot: world.trustedRoot, verdictCacheSize: 4, certificateCacheSize: 3 });
  const first = bundles.map((b) => v.verify(request(b)));
  for (const o of first) assert.ok(o.ok, o.ok ? "" : o.message);
  assert.deepEqual({ verdicts: v.cacheStats().verdicts, certificates: v.cacheStats().certificates }, { verdicts: 4, certificates: 3 });
  // A cached verdict is answered as is; a forgotten one is verified again, with the same result.
  assert.equal(v.verify(request(bundles[5]!)), first[5]);
  const again = v.verify(request(bundles[0]!));
  assert.notEqual(again, first[0]);
  assert.deepEqual(again, first[0]);
});

test("the verdict cache is bounded by the cached bundles' sizes too", () => {
  const size = bundles[0]!.length + 1024;
  const v = createVerifier({ trustedRoot: world.trustedRoot, verdictCacheBytes: Math.floor(size * 2.5) });
  for (const b of bundles) assert.ok(v.verify(request(b)).ok);
  const stats = v.cacheStats();
  assert.equal(stats.verdicts, 2);
  assert.ok(stats.verdictBytes <= size * 2.5, `${stats.verdictBytes} bytes cached`);
  // A bundle bigger than the whole budget is verified every time, never cached.
  const tiny = createVerifier({ trustedRoot: world.trustedRoot, verdictCacheBytes: 100 });
  const a = tiny.verify(request(bundles[0]!));
  assert.ok(a.ok);
  assert.notEqual(tiny.verify(request(bundles[0]!)), a);
  assert.equal(tiny.cacheStats().verdicts, 0);
});

test("default bounds: a cache hit is answered from the cache; bad bounds are refused", () => {
  const v = createVerifier({ trustedRoot: world.trustedRoot });
  const o = v.verify(request(bundles[1]!));
  assert.equal(v.verify(request(bundles[1]!)), o);
  assert.ok(v.cacheStats().verdictBytes <= DEFAULT_VERDICT_CACHE_BYTES);
  assert.ok(v.cacheStats().certificates <= DEFAULT_CERTIFICATE_CACHE_SIZE);
  for (const bad of [{ verdictCacheSize: -1 }, { verdictCacheBytes: 1.5 }, { certificateCacheSize: Number.NaN }]) {
    assert.throws(() => createVerifier({ trustedRoot: world.trustedRoot, ...bad }), (e: unknown) => e instanceof AgentGateError && e.code === "VERIFIER_OPTIONS_INVALID");
  }
});

test("a bundle over maxBundleBytes is refused before it is hashed or parsed, as text, bytes or an object", () => {
  const size = Buffer.byteLength(bundles[2]!);
  const v = createVerifier({ trustedRoot: world.trustedRoot, maxBundleBytes: size - 1 });
  for (const form of [bundles[2]!, Buffer.from(bundles[2]!), JSON.parse(bundles[2]!) as unknown]) {
    const o = v.verify({ ...request(bundles[2]!), bundle: form });
    assert.ok(!o.ok && o.code === "BUNDLE_MALFORMED" && o.message === `the bundle is ${size} bytes; expected at most ${size - 1} bytes of JSON`, o.ok ? "ok" : o.message);
  }
  // multi-byte text is counted in UTF-8 bytes, not characters
  const wide = createVerifier({ trustedRoot: world.trustedRoot, maxBundleBytes: 30 });
  const o = wide.verify({ ...request(bundles[2]!), bundle: `"${"é".repeat(20)}"` });
  assert.ok(!o.ok && /is 42 bytes/.test(o.message), o.ok ? "ok" : o.message);
  assert.equal(DEFAULT_MAX_BUNDLE_BYTES, 8 * 1024 * 1024);
  assert.ok(createVerifier({ trustedRoot: world.trustedRoot, maxBundleBytes: size }).verify(request(bundles[2]!)).ok);
});
