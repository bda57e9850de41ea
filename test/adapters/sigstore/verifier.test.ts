// The verifier on real public-good bundles: identity patterns, digest-only verification, legacy cosign bundles,
// caching, and the promise that nothing malformed verifies and nothing escapes verify().
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Bundle as ProtoBundle } from "@sigstore/protobuf-specs";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, VerifyRequest } from "../../../src/adapters/sigstore/verifier.js";
import { convertLegacyCosignBundle, isLegacyCosignBundle } from "../../../src/adapters/sigstore/legacy.js";
import { AgentGateError } from "../../../src/core/errors.js";

const dir = (id: string): string => `fixtures/sigstore/cases/${id}`;
const read = (p: string): string => readFileSync(p, "utf8");
const PRODUCTION = JSON.parse(read("trust/sigstore-production.json")) as unknown;
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

const c04 = read(`${dir("c04-msg-v0.3-happy")}/bundle.sigstore.json`);
const c04artifact = readFileSync(`${dir("c04-msg-v0.3-happy")}/artifact`);
const verifier = createVerifier({ trustedRoot: PRODUCTION });
const request = (signer: SignerPolicy, bundle: unknown = c04): VerifyRequest => ({ bundle, subject: { kind: "artifact", bytes: c04artifact }, signer });
const pattern = (identityPattern: string): SignerPolicy => ({ kind: "certificate", identityPattern, issuer: ISSUER });

test("the conformance bundle verifies against the pinned production root with the exact identity", () => {
  const o = verifier.verify(request({ kind: "certificate", identity: IDENTITY, issuer: ISSUER }));
  assert.ok(o.ok, o.ok ? "" : o.message);
  assert.equal(o.signer.identity, IDENTITY);
  assert.equal(o.signer.issuer, ISSUER);
});

test("an anchored pattern that full-matches the SAN verifies", () => {
  const o = verifier.verify(request(pattern("^https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\\.github/workflows/[a-z-]+\\.yml@refs/heads/main$")));
  assert.ok(o.ok, o.ok ? "" : o.message);
});

test("unanchored identity patterns are refused before anything is verified (POLICY_INVALID)", () => {
  // "conformance" is what the library's own unanchored matching would accept for this SAN
  for (const p of ["conformance", "^https://github\\.com/sigstore-conformance/", "extremely-dangerous.*@refs/heads/main$", "", "^$"]) {
    const o = verifier.verify(request(pattern(p)));
    assert.ok(!o.ok);
    assert.equal(o.code, "POLICY_INVALID", p);
  }
});

test("a pattern that merely contains or prefixes the trusted identity does not match (IDENTITY_MISMATCH)", () => {
  for (const p of [
    "^https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon$", // a prefix of the SAN
    "^nothing$|extremely-dangerous.*$", // the second branch would match inside the SAN if the pattern were not full-matched
    "^https://evil\\.example/https://github\\.com/sigstore-conformance/.*$",
  ]) {
    const o = verifier.verify(request(pattern(p)));
    assert.ok(!o.ok);
    assert.equal(o.code, "IDENTITY_MISMATCH", p);
    assert.match(o.message, /expected signer identity matching .* got https:\/\/github\.com\/sigstore-conformance/);
  }
});

test("an exact identity is compared as a string, never as a pattern", () => {
  const o = verifier.verify(request({ kind: "certificate", identity: IDENTITY.replace(/\./g, "."), issuer: ISSUER }));
  assert.ok(o.ok);
  const dotted = verifier.verify(request({ kind: "certificate", identity: ".*", issuer: ISSUER }));
  assert.ok(!dotted.ok && dotted.code === "IDENTITY_MISMATCH");
  assert.equal(dotted.message, `expected signer identity .*, got ${IDENTITY}`);
});

test("identity and issuer are required (POLICY_INVALID), and a key policy needs a PEM SPKI key", () => {
  for (const signer of [
    { kind: "certificate", identity: "", issuer: ISSUER },
    { kind: "certificate", identity: IDENTITY, issuer: "" },
    { kind: "certificate", issuer: ISSUER },
    { kind: "key", publicKeyPem: "not a key" },
    { kind: "nobody" },
    null,
  ]) {
    const o = verifier.verify(request(signer as unknown as SignerPolicy));
    assert.ok(!o.ok && o.code === "POLICY_INVALID", JSON.stringify(signer));
  }
});

test("digest-only verification of a message signature (ECDSA over the given digest)", () => {
  const hex = createHash("sha256").update(c04artifact).digest("hex");
  const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  const ok = verifier.verify({ bundle: c04, subject: { kind: "digest", algorithm: "sha256", hex }, signer });
  assert.ok(ok.ok, ok.ok ? "" : ok.message);
  const other = verifier.verify({ bundle: c04, subject: { kind: "digest", algorithm: "sha256", hex: "00".repeat(32) }, signer });
  assert.ok(!other.ok && other.code === "ARTIFACT_MISMATCH");
  const bad = verifier.verify({ bundle: c04, subject: { kind: "digest", algorithm: "sha256", hex: "xyz" }, signer });
  assert.ok(!bad.ok && bad.code === "POLICY_INVALID");
});

test("the legacy cosign bundle converts to the v0.1 bundle of case l01, and verifies when given as it is", () => {
  const d = dir("l01-cosign-legacy-bundle-converted");
  const legacy = JSON.parse(read(`${d}/legacy.cosign.bundle`)) as unknown;
  assert.ok(isLegacyCosignBundle(legacy));
  assert.deepEqual(convertLegacyCosignBundle(legacy), JSON.parse(read(`${d}/bundle.sigstore.json`)));
  const v = createVerifier({ trustedRoot: JSON.parse(read(`${d}/trusted_root.json`)) });
  const signer: SignerPolicy = { kind: "certificate", identity: "daniel.bevenius@gmail.com", issuer: "https://github.com/login/oauth" };
  const o = v.verify({ bundle: read(`${d}/legacy.cosign.bundle`), subject: { kind: "artifact", bytes: readFileSync(`${d}/artifact`) }, signer });
  assert.ok(o.ok, o.ok ? "" : o.message);
  assert.equal(o.mediaType, "application/vnd.dev.sigstore.bundle+json;version=0.1");
  assert.equal(o.tlogEntries[0]?.logIndex, "11074687");
  const broken = v.verify({ bundle: { ...(legacy as object), base64Signature: "" }, subject: { kind: "artifact", bytes: Buffer.from("x") }, signer });
  assert.ok(!broken.ok && broken.code === "BUNDLE_MALFORMED");
  // One line naming the field and what it expected (the CLI's contract: one line on stderr), not zod's issue list.
  assert.ok(!broken.ok && !broken.message.includes("\n"), broken.ok ? "" : broken.message);
  assert.match(broken.ok ? "" : broken.message, /the legacy cosign bundle: base64Signature: /);
});

test("verdicts are cached per (bundle, subject, policy): a cached pass never answers another policy or artifact", () => {
  const v = createVerifier({ trustedRoot: PRODUCTION });
  const good: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  assert.ok(v.verify(request(good)).ok);
  assert.ok(v.verify(request(good)).ok);
  const wrongIssuer = v.verify(request({ ...good, issuer: "https://accounts.google.com" }));
  assert.ok(!wrongIssuer.ok && wrongIssuer.code === "ISSUER_MISMATCH");
  const other = v.verify({ ...request(good), subject: { kind: "artifact", bytes: Buffer.from("another artifact") } });
  assert.ok(!other.ok && other.code === "ARTIFACT_MISMATCH");
});

test("a bundle of another media type, a non-object, or garbage is BUNDLE_MALFORMED", () => {
  const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  const b = JSON.parse(c04) as Record<string, unknown>;
  for (const bundle of [{ ...b, mediaType: "application/vnd.dev.sigstore.bundle.v0.4+json" }, "not json", new Uint8Array([0xff, 0x00]), 42, null, [], {}]) {
    const o = verifier.verify(request(signer, bundle));
    assert.ok(!o.ok && o.code === "BUNDLE_MALFORMED", `${JSON.stringify(bundle).slice(0, 60)}: ${o.ok ? "verified" : o.code}`);
  }
});

// A change the protobuf reading undoes ("0" for a missing int64, an equivalent base64 spelling) is no change.
function normalized(v: unknown): string | undefined {
  try {
    return JSON.stringify(ProtoBundle.toJSON(ProtoBundle.fromJSON(v)));
  } catch {
    return undefined;
  }
}

// Every string leaf of the bundle, replaced by another value: the result must be a refusal, never a throw.
function stringPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof v === "string") return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...path, i]));
  if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...path, k]));
  return [];
}
function setPath(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

for (const id of ["c04-msg-v0.3-happy", "c05-dsse-intoto-slsa-v0.3", "c06-dsse-intoto-custom-root-tsa", "c07-key-managed-happy"]) {
  test(`property: no single-field change of ${id} verifies, and verify() never throws`, () => {
    const d = dir(id);
    const c = JSON.parse(read(`${d}/case.json`)) as { identity?: string; issuer?: string; publicKey?: string };
    const bundle = JSON.parse(read(`${d}/bundle.sigstore.json`)) as unknown;
    const v = createVerifier({ trustedRoot: JSON.parse(read(`${d}/trusted_root.json`)) });
    const signer: SignerPolicy = c.publicKey ? { kind: "key", publicKeyPem: read(`${d}/${c.publicKey}`) } : { kind: "certificate", identity: c.identity!, issuer: c.issuer! };
    const subject = { kind: "artifact" as const, bytes: readFileSync(`${d}/artifact`) };
    assert.ok(v.verify({ bundle, subject, signer }).ok);
    // the key hint and the DSSE keyid are unsigned labels: changing them changes nothing that is verified
    const paths = stringPaths(bundle).filter((p) => p[p.length - 1] !== "hint" && p[p.length - 1] !== "keyid");
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.string(), fc.base64String(), fc.constant(""), fc.anything()), (path, value) => {
        const original = path.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], bundle);
        fc.pre(JSON.stringify(value) !== JSON.stringify(original));
        const mutated = setPath(bundle, path, value);
        fc.pre(normalized(mutated) === undefined || normalized(mutated) !== normalized(bundle));
        const o = v.verify({ bundle: mutated, subject, signer });
        return !o.ok && o.code !== "INTERNAL_ERROR";
      }),
      { numRuns: 300 },
    );
  });
}

test("property: truncated bundle text or arbitrary JSON values never verify and never throw", () => {
  fc.assert(
    fc.property(fc.nat({ max: c04.trimEnd().length - 1 }), (n) => {
      const o = verifier.verify(request({ kind: "certificate", identity: IDENTITY, issuer: ISSUER }, c04.slice(0, n)));
      return !o.ok;
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (bundle, signer) => {
      const o = verifier.verify({ bundle, subject: { kind: "artifact", bytes: c04artifact }, signer: signer as SignerPolicy });
      return !o.ok;
    }),
    { numRuns: 300 },
  );
});

test("createVerifier refuses a bad trusted root with TRUSTED_ROOT_INVALID and the reason", () => {
  const root = JSON.parse(JSON.stringify(PRODUCTION)) as { tlogs: { publicKey: { validFor: { start?: string } } }[] };
  delete root.tlogs[0]!.publicKey.validFor.start;
  assert.throws(
    () => createVerifier({ trustedRoot: root }),
    (e: unknown) => e instanceof AgentGateError && e.code === "TRUSTED_ROOT_INVALID" && /tlogs\[0\]\.publicKey\.validFor\.start is missing/.test(e.message),
  );
  assert.throws(() => createVerifier({ trustedRoot: {} }), (e: unknown) => e instanceof AgentGateError && e.code === "TRUSTED_ROOT_INVALID");
  assert.throws(() => createVerifier({ trustedRoot: PRODUCTION, timestampThreshold: 0 }), (e: unknown) => e instanceof AgentGateError);
});

test("thresholds: more tlog entries, signed times or SCTs than the bundle has are refused with their codes", () => {
  const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  const cases: [Parameters<typeof createVerifier>[0], string][] = [
    [{ trustedRoot: PRODUCTION, tlogThreshold: 2 }, "TLOG_THRESHOLD_NOT_MET"],
    [{ trustedRoot: PRODUCTION, timestampThreshold: 2 }, "NO_SIGNED_TIME"],
    [{ trustedRoot: PRODUCTION, ctlogThreshold: 2 }, "CERTIFICATE_CHAIN_INVALID"],
  ];
  for (const [opts, code] of cases) {
    const o = createVerifier(opts).verify(request(signer));
    assert.ok(!o.ok && o.code === code, `${JSON.stringify({ ...opts, trustedRoot: undefined })}: ${o.ok ? "verified" : o.code}`);
  }
});

test("an artifact matches an in-toto subject by the digest the statement uses (npm provenance: sha512 only)", () => {
  // g01's statement names sigstore-2.0.0.tgz by sha512; giving the digest the case confirms independently
  const d = dir("g01-npm-slsa-v1-provenance");
  const c = JSON.parse(read(`${d}/case.json`)) as { identity: string; issuer: string; subjectDigest: { sha512: string } };
  const v = createVerifier({ trustedRoot: JSON.parse(read(`${d}/trusted_root.json`)) });
  const signer: SignerPolicy = { kind: "certificate", identity: c.identity, issuer: c.issuer };
  const o = v.verify({ bundle: read(`${d}/bundle.sigstore.json`), subject: { kind: "digest", algorithm: "sha512", hex: c.subjectDigest.sha512 }, signer });
  assert.ok(o.ok, o.ok ? "" : o.message);
  const other = v.verify({ bundle: read(`${d}/bundle.sigstore.json`), subject: { kind: "artifact", bytes: Buffer.from("not the tarball") }, signer });
  assert.ok(!other.ok && other.code === "SUBJECT_MISMATCH");
  assert.match(other.message, /the statement names .*sha512:46d4e2f7/);
});

test("an in-toto statement whose subjects the caller binds: verified and returned; a message signature is refused", () => {
  const d = dir("c05-dsse-intoto-slsa-v0.3");
  const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  const o = verifier.verify({ bundle: read(`${d}/bundle.sigstore.json`), subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer });
  assert.ok(o.ok, o.ok ? "" : o.message);
  assert.ok((o.statement?.subject.length ?? 0) > 0);
  const msg = verifier.verify({ bundle: c04, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signer });
  assert.ok(!msg.ok && msg.code === "STATEMENT_INVALID");
});

test("an artifact matches a statement subject named by sha512 only", async () => {
  const { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } = await import("../../support/sigstore/index.js");
  const world = await createTestSigstore();
  const artifact = Buffer.from("a tarball\n");
  const sha512 = createHash("sha512").update(artifact).digest("hex");
  const { bundle } = await world.sign({
    payload: { kind: "dsse", statement: { subjects: [{ name: "pkg.tgz", digest: { sha512 } }], predicateType: "https://slsa.dev/provenance/v1", predicate: {} } },
  });
  const v = createVerifier({ trustedRoot: world.trustedRoot });
  const signer: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
  const o = v.verify({ bundle, subject: { kind: "artifact", bytes: artifact }, signer });
  assert.ok(o.ok, o.ok ? "" : o.message);
  const other = v.verify({ bundle, subject: { kind: "artifact", bytes: Buffer.from("another tarball\n") }, signer });
  assert.ok(!other.ok && other.code === "SUBJECT_MISMATCH");
});
