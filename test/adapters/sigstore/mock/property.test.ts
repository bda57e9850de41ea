// Property: thousands of mutated bundles (bit flips in base64 and text fields, replaced strings, deleted fields,
// changed types, swapped values, truncated or repeated arrays, parts grafted from other bundles, random JSON)
// never make verify() throw and never verify.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { Bundle as ProtoBundle } from "@sigstore/protobuf-specs";
import { createVerifier } from "../../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../../src/adapters/sigstore/verifier.js";
import type { VerificationCode } from "../../../../src/core/verification.js";
import { sha256 } from "../../../support/sigstore/content.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../../../support/sigstore/index.js";
import type { BundleJson } from "../../../support/sigstore/index.js";
import { get, mutate, paths } from "../../../support/sigstore/mutate.js";
import type { Mutation, Path } from "../../../support/sigstore/mutate.js";

const RUNS_PER_CASE = 330;
const RANDOM_JSON_RUNS = 400;

const world = await createTestSigstore();
const verifier = createVerifier({ trustedRoot: world.trustedRoot, verdictCacheSize: 0 });
const artifact = Buffer.from("property-tested artifact\n");
const statement = { subjects: [{ name: "a", digest: { sha256: sha256(artifact).toString("hex") } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { x: 1 } };
const keyless: SignerPolicy = { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
const keySigner = world.newKeySigner();
const byKey: SignerPolicy = { kind: "key", publicKeyPem: keySigner.publicKeyPem, keyHint: keySigner.keyHint };
const bytes: SubjectSpec = { kind: "artifact", bytes: artifact };
const digest: SubjectSpec = { kind: "digest", algorithm: "sha256", hex: sha256(artifact).toString("hex") };

interface Case {
  name: string;
  bundle: BundleJson;
  subject: SubjectSpec;
  signer: SignerPolicy;
}
const sign = async (name: string, req: Parameters<typeof world.sign>[0], subject: SubjectSpec, signer: SignerPolicy = keyless): Promise<Case> => ({ name, bundle: (await world.sign(req)).bundle, subject, signer });
const cases: Case[] = [
  await sign("keyless message, Rekor v1", { payload: { kind: "message", artifact } }, bytes),
  await sign("keyless message by digest, Rekor v2 + TSA", { payload: { kind: "message", artifact }, rekor: "v2" }, digest),
  await sign("keyless DSSE, Rekor v1 dsse", { payload: { kind: "dsse", statement } }, bytes),
  await sign("keyless DSSE, Rekor v1 intoto, bundle v0.2", { payload: { kind: "dsse", statement }, dsseKindV1: "intoto", version: "0.2" }, digest),
  await sign("keyless DSSE, Rekor v2 dsse + TSA", { payload: { kind: "dsse", statement }, rekor: "v2" }, bytes),
  await sign("key-based message, Rekor v1, bundle v0.1", { payload: { kind: "message", artifact }, signWith: { kind: "key", signer: keySigner }, version: "0.1" }, bytes, byKey),
  await sign("key-based DSSE, Rekor v2 + TSA", { payload: { kind: "dsse", statement }, signWith: { kind: "key", signer: keySigner }, rekor: "v2" }, digest, byKey),
];

const CODES: ReadonlySet<VerificationCode> = new Set<VerificationCode>([
  "BUNDLE_MALFORMED", "SIGNATURE_INVALID", "ARTIFACT_MISMATCH", "CERTIFICATE_CHAIN_INVALID", "CERTIFICATE_NOT_VALID_AT_TIME",
  "IDENTITY_MISMATCH", "ISSUER_MISMATCH", "KEY_MISMATCH", "TLOG_INCLUSION_PROOF_INVALID", "TLOG_CHECKPOINT_INVALID", "TLOG_SET_INVALID",
  "TLOG_ENTRY_INCONSISTENT", "TLOG_UNTRUSTED_LOG", "TLOG_THRESHOLD_NOT_MET", "TIMESTAMP_INVALID", "NO_SIGNED_TIME", "DSSE_INVALID",
  "STATEMENT_INVALID", "SUBJECT_MISMATCH", "TRUSTED_ROOT_INVALID", "POLICY_INVALID", "INTERNAL_ERROR",
]);

// Fields no signature covers by design, so changing them may rightly verify: the DSSE keyid and the public-key
// hint are unauthenticated hints, verifiers use only the leaf of a v0.1/v0.2 certificate chain, and a Rekor v2
// entry's integratedTime (no SET) must be ignored (a named test in attacks.test.ts checks it is).
function covered(p: Path, bundle: BundleJson): boolean {
  const last = p[p.length - 1];
  if (last === "keyid" || last === "hint") return false;
  const chain = p.indexOf("certificates");
  if (p[1] === "x509CertificateChain" && chain >= 0 && typeof p[chain + 1] === "number" && (p[chain + 1] as number) >= 1) return false;
  if (p[1] === "tlogEntries" && p.length === 4 && last === "integratedTime") {
    const entry = get(bundle, p.slice(0, 3)) as { inclusionPromise?: unknown };
    if (entry.inclusionPromise === undefined) return false;
  }
  return true;
}

// A mutation that the protobuf reading undoes (an empty list deleted, an equivalent base64 spelling) is no mutation;
// nor is one that only touches the certificates after the leaf of a v0.1/v0.2 chain, which verifiers do not use.
function normalized(v: unknown): string | undefined {
  try {
    const json = dropEmpty(ProtoBundle.toJSON(ProtoBundle.fromJSON(v))) as { verificationMaterial?: { x509CertificateChain?: { certificates?: unknown[] } } };
    const chain = json.verificationMaterial?.x509CertificateChain;
    if (Array.isArray(chain?.certificates)) chain.certificates = chain.certificates.slice(0, 1);
    return JSON.stringify(json, (_k, v: unknown) => (typeof v === "string" && v.includes("\n\n") ? canonicalNoteSignatures(v) : v));
  } catch {
    return undefined;
  }
}

// base64 may spell the same bytes several ways (unused low bits before the padding), so a checkpoint's signature
// lines are compared by the bytes they decode to
function canonicalNoteSignatures(note: string): string {
  return note.replace(/^(\u2014 \S+ )(\S+)$/gmu, (_m, head: string, sig: string) => head + Buffer.from(sig, "base64").toString("base64"));
}

function dropEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmpty);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, c] of Object.entries(v)) {
    const d = dropEmpty(c);
    const empty = (Array.isArray(d) && d.length === 0) || (typeof d === "object" && d !== null && !Array.isArray(d) && Object.keys(d).length === 0);
    if (!empty) out[k] = d;
  }
  return out;
}

const MEDIA_TYPES = ["application/vnd.dev.sigstore.bundle+json;version=0.1", "application/vnd.dev.sigstore.bundle+json;version=0.2", "application/vnd.dev.sigstore.bundle+json;version=0.3", "application/vnd.dev.sigstore.bundle.v0.3+json"];

// Bundles that mean the same as the original: the media type is an unsigned label (any accepted one may stand),
// and a v0.1 bundle needs only its SET, so dropping its inclusion proof leaves a valid bundle.
function neutralForms(bundle: BundleJson): Set<string> {
  const forms: BundleJson[] = [bundle];
  if (bundle.mediaType.endsWith("version=0.1")) {
    const noProof = structuredClone(bundle);
    for (const e of noProof.verificationMaterial.tlogEntries) delete e.inclusionProof;
    forms.push(noProof);
  }
  const all = forms.flatMap((f) => MEDIA_TYPES.map((mediaType) => ({ ...f, mediaType })));
  return new Set(all.map(normalized).filter((n): n is string => n !== undefined));
}

function mutationArb(c: Case): fc.Arbitrary<Mutation[]> {
  const all = paths(c.bundle).filter((p) => covered(p, c.bundle));
  const strings = all.filter((p) => typeof get(c.bundle, p) === "string");
  const arrays = all.filter((p) => Array.isArray(get(c.bundle, p)));
  // values found at the same path in the other bundles: entries, certificates, envelopes from elsewhere
  const grafts: Mutation[] = cases
    .filter((o) => o !== c)
    .flatMap((o) => all.map((p) => ({ p, v: get(o.bundle, p) })))
    .filter(({ p, v }) => v !== undefined && JSON.stringify(v) !== JSON.stringify(get(c.bundle, p)))
    .map(({ p, v }) => ({ kind: "graft", path: p, value: v }));
  const path = fc.constantFrom(...all);
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("flip" as const), path: fc.constantFrom(...strings), index: fc.nat(4096), bit: fc.nat(7) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("replace" as const), path: fc.constantFrom(...strings), value: fc.oneof(fc.string(), fc.base64String({ maxLength: 96 })) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), path }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("retype" as const),
        path,
        value: fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}), fc.double(), fc.jsonValue({ maxDepth: 2 })),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("swap" as const), a: path, b: path }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), path: fc.constantFrom(...arrays), length: fc.nat(4) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), path: fc.constantFrom(...arrays), index: fc.nat(4) }) },
    { weight: 2, arbitrary: fc.constantFrom(...grafts) },
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

const codes = new Map<string, number>();
const internalErrors: string[] = []; // fail-closed, but a code the verifier did not mean to give: reported
let effective = 0;

function check(bundle: unknown, c: Pick<Case, "subject" | "signer">, what: string): void {
  const out = verifier.verify({ bundle, subject: c.subject, signer: c.signer }); // a throw fails the property
  assert.equal(out.ok, false, `a mutated bundle verified: ${what}`);
  if (out.ok) return;
  assert.ok(CODES.has(out.code), `unknown code ${String(out.code)}`);
  assert.ok(out.message.length > 0, "a failure without a message");
  codes.set(out.code, (codes.get(out.code) ?? 0) + 1);
  if (out.code === "INTERNAL_ERROR" && internalErrors.length < 5) internalErrors.push(`${out.message} <- ${what.slice(0, 300)}`);
  effective++;
}

for (const c of cases) {
  test(`mutations of "${c.name}" never throw and never verify`, () => {
    assert.equal(verifier.verify({ bundle: c.bundle, subject: c.subject, signer: c.signer }).ok, true, "the unmutated bundle must verify");
    // grafts can rebuild another case's valid bundle (several sign the same statement): that one may verify too
    const neutral = new Set(cases.flatMap((o) => [...neutralForms(o.bundle)]));
    fc.assert(
      fc.property(mutationArb(c), (mutations) => {
        let bundle: unknown = c.bundle;
        for (const m of mutations) bundle = mutate(bundle, m) ?? bundle;
        const n = normalized(bundle);
        if (bundle === c.bundle || (n !== undefined && neutral.has(n))) return;
        check(bundle, c, JSON.stringify(mutations).slice(0, 2000));
      }),
      { numRuns: RUNS_PER_CASE },
    );
  });
}

test("random JSON, random bundle-shaped objects and non-JSON values never throw and never verify", () => {
  const mediaType = fc.constantFrom("application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.1", "application/vnd.dev.sigstore.bundle+json;version=0.2");
  const shaped = fc.record({
    mediaType,
    verificationMaterial: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(cases[0]!.bundle.verificationMaterial)),
    messageSignature: fc.jsonValue({ maxDepth: 3 }),
    dsseEnvelope: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  });
  const arb = fc.oneof(fc.jsonValue(), shaped, fc.string(), fc.uint8Array({ maxLength: 64 }), fc.anything());
  fc.assert(
    fc.property(arb, fc.constantFrom(...cases), (bundle, c) => check(bundle, c, JSON.stringify(bundle)?.slice(0, 500) ?? String(bundle))),
    { numRuns: RANDOM_JSON_RUNS },
  );
});

test("enough of the mutations were real ones", (t) => {
  t.diagnostic(`effective mutated bundles: ${effective}; codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`);
  for (const e of internalErrors) t.diagnostic(`INTERNAL_ERROR example: ${e}`);
  assert.ok(effective >= 2000, `expected at least 2000 effective mutated bundles, got ${effective}`);
});
