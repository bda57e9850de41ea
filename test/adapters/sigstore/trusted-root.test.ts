// Trusted roots: linting (the library would accept all of these), the pinned root, and the TUF refresh with its
// last-good fallback, offline: the TUF fetch is stubbed, nothing here touches the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintTrustedRoot } from "../../../src/adapters/sigstore/rootlint.js";
import { PINNED_ROOT_PATH, describeWithCauses, loadPinnedRoot, loadRootFile, refreshTrustedRoot } from "../../../src/adapters/sigstore/trusted-root.js";
import { AgentGateError } from "../../../src/core/errors.js";

type Root = Record<string, unknown> & {
  tlogs: { publicKey: { validFor?: { start?: string; end?: string }; rawBytes: string } }[];
  certificateAuthorities: { validFor?: { start?: string; end?: string }; certChain: { certificates: { rawBytes: string }[] } }[];
  ctlogs: unknown[];
};
const PRODUCTION_TEXT = readFileSync("trust/sigstore-production.json", "utf8");
const production = (): Root => JSON.parse(PRODUCTION_TEXT) as Root;

test("the pinned root is the public-good production root, byte-identical to @sigstore/tuf's seed, and lints clean", () => {
  assert.equal(readFileSync(PINNED_ROOT_PATH, "utf8"), PRODUCTION_TEXT);
  const seeds = JSON.parse(readFileSync("node_modules/@sigstore/tuf/seeds.json", "utf8")) as Record<string, { targets: Record<string, string> }>;
  const seeded = Object.values(seeds).map((s) => Buffer.from(s.targets["trusted_root.json"] ?? "", "base64").toString("utf8"));
  assert.ok(seeded.includes(PRODUCTION_TEXT));
  assert.deepEqual(lintTrustedRoot(loadPinnedRoot()), []);
  assert.deepEqual(lintTrustedRoot(JSON.parse(readFileSync("fixtures/sigstore/trusted-roots/sigstore-staging.json", "utf8"))), []);
});

const refused: [string, (r: Root) => unknown, RegExp][] = [
  ["an empty object", () => ({}), /mediaType.*tlogs must be a non-empty list/s],
  ["not an object", () => [], /not a JSON object/],
  ["no tlogs", (r) => ({ ...r, tlogs: [] }), /tlogs must be a non-empty list/],
  ["a tlog key validity without a start", (r) => (delete r.tlogs[0]!.publicKey.validFor!.start, r), /tlogs\[0\]\.publicKey\.validFor\.start is missing/],
  ["a CA without a validity", (r) => (delete r.certificateAuthorities[0]!.validFor, r), /certificateAuthorities\[0\]\.validFor\.start is missing/],
  ["a validity that ends before it starts", (r) => ((r.tlogs[0]!.publicKey.validFor = { start: "2024-01-01T00:00:00Z", end: "2023-01-01T00:00:00Z" }), r), /ends before it starts/],
  ["a start that is not a time", (r) => ((r.tlogs[0]!.publicKey.validFor = { start: "yesterday" }), r), /is not a timestamp/],
  ["a tlog key that is not a key", (r) => ((r.tlogs[0]!.publicKey.rawBytes = "AAAA"), r), /tlogs\[0\]\.publicKey\.rawBytes is not a public key/],
  ["a CA certificate that is not DER", (r) => ((r.certificateAuthorities[0]!.certChain.certificates[0]!.rawBytes = "AAAA"), r), /is not a DER certificate/],
  ["a CA with an empty chain", (r) => ((r.certificateAuthorities[0]!.certChain.certificates = []), r), /certChain has no certificates/],
  ["CAs without CT logs", (r) => ({ ...r, ctlogs: [] }), /no ctlogs/],
  ["another media type", (r) => ({ ...r, mediaType: "application/json" }), /unexpected mediaType/],
];
for (const [what, change, reason] of refused) {
  test(`root linting refuses ${what}`, () => {
    const problems = lintTrustedRoot(change(production()));
    assert.ok(problems.length > 0, "expected a refusal");
    assert.match(problems.join("; "), reason);
  });
}

test("a public key without any validity period is accepted (the spec makes it optional; unbounded), one without a start is not", () => {
  const r = production();
  delete r.tlogs[0]!.publicKey.validFor;
  assert.deepEqual(lintTrustedRoot(r), []);
});

test("loadRootFile names the file and the reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-root-"));
  try {
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [] }));
    assert.throws(() => loadRootFile(join(dir, "bad.json")), (e: unknown) => e instanceof AgentGateError && e.code === "TRUSTED_ROOT_INVALID" && /bad\.json is refused: tlogs/.test(e.message));
    writeFileSync(join(dir, "garbage.json"), "{");
    assert.throws(() => loadRootFile(join(dir, "garbage.json")), /cannot read trusted root/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("TUF refresh: a good root is used and kept as the last good one; later failures fall back to it, then to the pinned root", async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "agent-gate-tuf-"));
  try {
    const fresh = production();
    (fresh as Record<string, unknown>).note = "fetched";
    const first = await refreshTrustedRoot({ cacheDir, fetchRoot: () => Promise.resolve(fresh) });
    assert.equal(first.source, "tuf");
    assert.ok(existsSync(join(cacheDir, "trusted_root.last-good.json")));

    const offline = await refreshTrustedRoot({ cacheDir, fetchRoot: () => Promise.reject(new Error("getaddrinfo ENOTFOUND")) });
    assert.equal(offline.source, "last-good");
    assert.equal((offline.root as Record<string, unknown>).note, "fetched");
    assert.match(offline.warning ?? "", /TUF refresh failed: getaddrinfo ENOTFOUND/);

    // a root that fails linting is never used and never replaces the last good one
    const bad = production();
    delete bad.tlogs[0]!.publicKey.validFor!.start;
    const refusedRoot = await refreshTrustedRoot({ cacheDir, fetchRoot: () => Promise.resolve(bad) });
    assert.equal(refusedRoot.source, "last-good");
    assert.match(refusedRoot.warning ?? "", /validFor\.start is missing/);
    assert.equal((JSON.parse(readFileSync(join(cacheDir, "trusted_root.last-good.json"), "utf8")) as Record<string, unknown>).note, "fetched");

    writeFileSync(join(cacheDir, "trusted_root.last-good.json"), "{ torn");
    const pinned = await refreshTrustedRoot({ cacheDir, fetchRoot: () => Promise.reject(new Error("offline")) });
    assert.equal(pinned.source, "pinned");
    assert.equal(JSON.stringify(pinned.root), JSON.stringify(JSON.parse(PRODUCTION_TEXT)));
    assert.match(pinned.warning ?? "", /no usable last good root/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test("a TUF failure's message shows the mirror's URL by host and path only", () => {
  const inner = Object.assign(new Error("GET https://mirror-user:mirror-pass@tuf.internal/repo/timestamp.json?token=tuf-secret-token failed"), { statusCode: 403 });
  const m = describeWithCauses(new Error("error fetching timestamp", { cause: inner }));
  assert.match(m, /error fetching timestamp: GET https:\/\/tuf\.internal\/repo\/timestamp\.json\?token=\*\*\* failed \(HTTP 403\)/);
  assert.doesNotMatch(m, /mirror-pass|mirror-user|tuf-secret-token/);
});
