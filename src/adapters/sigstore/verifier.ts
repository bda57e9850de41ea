// The bundle verifier: built once from trust material; verify() is synchronous and never throws.
// @sigstore/verify does the cryptography; this file orders the checks, fills the library's gaps (identity is
// compared here, DSSE payloads are read here, Rekor v2 DSSE entries are checked here) and codes every failure.
import { createHash, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { assertBundleLatest, assertBundleV01, assertBundleV02 } from "@sigstore/bundle";
import type { Bundle, TransparencyLogEntry } from "@sigstore/bundle";
import { RFC3161Timestamp, X509Certificate, crypto as score } from "@sigstore/core";
import { Bundle as ProtoBundle, TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import type { SignedEntity, TrustMaterial } from "@sigstore/verify";
import { certificatePath, getTSATimestamp, signatureContent, verifyCheckpoint, verifyMerkleInclusion, verifySCTs, verifyTLogBody, verifyTLogSET } from "./verify-internals.js";
import type { LogCheckpoint } from "./verify-internals.js";
import { AgentGateError, describeError } from "../../core/errors.js";
import { failure } from "../../core/verification.js";
import type { InTotoStatement, SignerSummary, VerificationCode, VerificationOutcome, VerifiedBundle } from "../../core/verification.js";
import { certificateIssuer, fulcioExtensions } from "./extensions.js";
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, statementHasDigest } from "./intoto.js";
import { convertLegacyCosignBundle, isLegacyCosignBundle } from "./legacy.js";
import { compileSigner } from "./signer-policy.js";
import type { CompiledSigner } from "./signer-policy.js";
import { verifyPrehashed } from "./prehash.js";
import { LruCache } from "../lru.js";
import { lintTrustedRoot } from "./rootlint.js";
import { checkTimestampToken } from "./tsa-strict.js";
import { checkCheckpointShape, checkDsseHashedRekordV2, isHashedRekordV2, loggedVerifier, summarizeEntry } from "./tlog.js";

export type SignerPolicy =
  | { kind: "certificate"; identity: string; issuer: string } // exact SAN match
  | { kind: "certificate"; identityPattern: string; issuer: string } // regex; must be anchored ^...$ (else POLICY_INVALID); full-match on the SAN
  | { kind: "key"; publicKeyPem: string; keyHint?: string }; // PEM SPKI (cosign public keys are PEM SPKI too)

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

export type SubjectSpec =
  | { kind: "artifact"; bytes: Uint8Array } // message signature over bytes; for DSSE: sha256(bytes) must be a statement subject digest
  | { kind: "digest"; algorithm: DigestAlgorithm; hex: string } // digest-only; for DSSE: must be a statement subject digest
  | { kind: "dsse-payload"; payloadType: string } // a DSSE envelope of a non-in-toto payload type; the caller reads VerifiedBundle.dssePayload
  // An in-toto statement whose subjects the CALLER binds (the PR gate binds gitCommit subjects to the PR's commits in
  // core/binding.ts). Signature, log, time and signer are verified here; VerifiedBundle.statement must then be bound.
  | { kind: "in-toto-statement"; subjectsBoundBy: "caller" };

export interface VerifyRequest {
  bundle: unknown; // parsed JSON, or Uint8Array/string of JSON
  subject: SubjectSpec;
  signer: SignerPolicy;
}

/** One bundle against every signer a repository trusts: parsed and checked once, whichever signer it names. */
export interface VerifyAnyRequest {
  bundle: unknown;
  subject: SubjectSpec;
  signers: readonly SignerPolicy[];
}

export interface BundleVerifier {
  verify(req: VerifyRequest): VerificationOutcome; // synchronous, never throws
  /** Verifies once for all signers: the leaf's identity (or key hint) picks the signer before any cryptography. */
  verifyAny?(req: VerifyAnyRequest): VerificationOutcome;
}

/** Cryptographic work done so far (tests count it: cheap refusals must do none). */
export interface VerifierWorkStats {
  /** Bundles parsed and checked (verdict cache misses). */
  readonly bundles: number;
  readonly timestampVerifications: number;
  readonly chainVerifications: number;
  readonly signatureVerifications: number;
  readonly tlogVerifications: number;
}

/** What the verifier's caches hold: every one is bounded (a long-running App sees endless distinct bundles). */
export interface VerifierCacheStats {
  readonly verdicts: number;
  /** The verdict cache's weight: the cached bundles' sizes plus an allowance per entry. */
  readonly verdictBytes: number;
  /** Certificates held parsed, with their chain paths and SCT results. */
  readonly certificates: number;
}

export interface CachingBundleVerifier extends BundleVerifier {
  verifyAny(req: VerifyAnyRequest): VerificationOutcome;
  cacheStats(): VerifierCacheStats;
  workStats(): VerifierWorkStats;
}

/**
 * Default bound of the verdict cache by weight. A verdict holds the parsed statement, so big bundles weigh more:
 * 16 MiB of bundles is about 2,300 verdicts of 7 KiB bundles, a verdict taking about half its bundle's size in heap.
 */
export const DEFAULT_VERDICT_CACHE_BYTES = 16 * 1024 * 1024;
/** Largest bundle read, as JSON bytes (8 MiB): refused before it is hashed or parsed. Real bundles are kilobytes. */
export const DEFAULT_MAX_BUNDLE_BYTES = 8 * 1024 * 1024;
/**
 * Default bound of the certificate cache; a parsed certificate with its chain paths and SCT results is about 30 KiB.
 * A keyless certificate signs one bundle, or the few of one signing session; it is reused across the signers tried
 * for a bundle and across that session's bundles: 256 (about 8 MB) covers both.
 */
export const DEFAULT_CERTIFICATE_CACHE_SIZE = 256;
/** RFC 3161 tokens verified per bundle at most: real bundles carry one, or none; each costs a CMS signature check. */
export const MAX_TIMESTAMPS_PER_BUNDLE = 8;
/** Transparency-log entries verified per bundle at most: real bundles carry one. */
export const MAX_TLOG_ENTRIES_PER_BUNDLE = 8;
/** Deepest JSON nesting read in a bundle: a real one is 6 deep; deeper input would overflow recursive readers. */
export const MAX_BUNDLE_JSON_DEPTH = 32;
/** Weight of a verdict beyond its bundle's size (key, outcome and summaries). */
const VERDICT_OVERHEAD_BYTES = 1024;

export interface VerifierOptions {
  trustedRoot: unknown; // trusted_root.json, parsed
  tlogThreshold?: number;
  ctlogThreshold?: number;
  timestampThreshold?: number;
  verdictCacheSize?: number; // entries; default 10,000; 0 disables the verdict cache (benchmarks of the full path)
  verdictCacheBytes?: number; // weight (bundle sizes); default DEFAULT_VERDICT_CACHE_BYTES
  certificateCacheSize?: number; // certificates; default DEFAULT_CERTIFICATE_CACHE_SIZE
  maxBundleBytes?: number; // default DEFAULT_MAX_BUNDLE_BYTES
}

export const BUNDLE_MEDIA_TYPES: readonly string[] = [
  "application/vnd.dev.sigstore.bundle+json;version=0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  "application/vnd.dev.sigstore.bundle.v0.3+json",
];

const LIBRARY_CODES: Readonly<Record<string, VerificationCode>> = {
  TLOG_INCLUSION_PROOF_ERROR: "TLOG_INCLUSION_PROOF_INVALID",
  TLOG_INCLUSION_PROMISE_ERROR: "TLOG_SET_INVALID",
  TLOG_MISSING_INCLUSION_ERROR: "TLOG_INCLUSION_PROOF_INVALID",
  TLOG_BODY_ERROR: "TLOG_ENTRY_INCONSISTENT",
  TLOG_ERROR: "TLOG_THRESHOLD_NOT_MET",
  CERTIFICATE_ERROR: "CERTIFICATE_CHAIN_INVALID",
  SIGNATURE_ERROR: "SIGNATURE_INVALID",
  TIMESTAMP_ERROR: "TIMESTAMP_INVALID",
  UNTRUSTED_SIGNER_ERROR: "IDENTITY_MISMATCH",
  PUBLIC_KEY_ERROR: "KEY_MISMATCH",
};

// HASH_ALGORITHM_UNSPECIFIED (0) is refused: a bundle names the digest it signs
const HASHES: Readonly<Record<number, DigestAlgorithm>> = { 1: "sha256", 2: "sha384", 3: "sha512" };
const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha384: 96, sha512: 128 };

class Fail extends Error {
  constructor(
    readonly code: VerificationCode,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one step; a library error keeps its mapped code, anything else thrown gets the step's code. */
function step<T>(code: VerificationCode, what: string, fn: () => T, keepCode = false): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Fail) throw e;
    const libCode = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
    const mapped = libCode !== undefined && !keepCode ? LIBRARY_CODES[libCode] : undefined;
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
    throw new Fail(mapped ?? code, `${what}: ${describeError(e)}${cause}`);
  }
}

const sha256hex = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type ChainPath = X509Certificate[] | undefined;
// A parsed leaf certificate and what was learnt about it; cached per fingerprint as one entry.
interface Leaf {
  fp: string;
  cert: X509Certificate;
  key: KeyObject | undefined;
  san: string | undefined;
  extensions: Readonly<Record<string, string>>;
  issuer: string | undefined;
  paths?: ChainPath[]; // path per trusted CA
  scts?: string[] | string; // verified CT log ids, or why not
}
interface SignedTime {
  source: "tlog" | "rfc3161";
  time: Date;
}
interface SubjectCheck {
  key: string;
  callerBindsSubjects?: true;
  artifact?: Buffer;
  sha256?: string;
  digest?: { algorithm: DigestAlgorithm; hex: string };
  payloadType?: string;
}

class Verifier implements CachingBundleVerifier {
  private readonly leafCache: LruCache<string, Leaf>; // leaf sha256 -> parsed certificate, key, SAN, extensions, chain, SCTs
  private readonly signerCache = new LruCache<string, CompiledSigner | string>(1000); // policy JSON -> compiled policy
  private readonly verdicts: LruCache<string, VerificationOutcome>; // (bundle, subject, policies) digests -> verdict
  private readonly work = { bundles: 0, timestampVerifications: 0, chainVerifications: 0, signatureVerifications: 0, tlogVerifications: 0 };

  constructor(
    private readonly tm: TrustMaterial,
    private readonly trustedCaCerts: ReadonlySet<string>, // hex DER of every certificate in the trusted CAs' chains
    private readonly opts: { tlog: number; ctlog: number; timestamp: number; cacheSize: number; cacheBytes: number; certificates: number; maxBundleBytes: number },
  ) {
    this.leafCache = new LruCache(opts.certificates);
    this.verdicts = new LruCache(opts.cacheSize, opts.cacheBytes);
  }

  cacheStats(): VerifierCacheStats {
    return { verdicts: this.verdicts.size, verdictBytes: this.verdicts.weight, certificates: this.leafCache.size };
  }

  workStats(): VerifierWorkStats {
    return { ...this.work };
  }

  verify(req: VerifyRequest): VerificationOutcome {
    return this.guarded(() => {
      if (!isObj(req)) throw new Fail("POLICY_INVALID", "expected a request { bundle, subject, signer }");
      return this.verifyCached(req.bundle, req.subject, req.signer, false);
    });
  }

  verifyAny(req: VerifyAnyRequest): VerificationOutcome {
    return this.guarded(() => {
      if (!isObj(req) || !Array.isArray(req.signers)) throw new Fail("POLICY_INVALID", "expected a request { bundle, subject, signers: [...] }");
      if (req.signers.length === 0) throw new Fail("POLICY_INVALID", "expected at least one trusted signer");
      return this.verifyCached(req.bundle, req.subject, req.signers, true);
    });
  }

  private guarded(fn: () => VerificationOutcome): VerificationOutcome {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Fail) return failure(e.code, e.message);
      return failure("INTERNAL_ERROR", `unexpected error while verifying: ${describeError(e)}`);
    }
  }

  private compile(policy: SignerPolicy): CompiledSigner {
    let policyKey: string;
    try {
      policyKey = JSON.stringify(policy ?? null);
    } catch (e) {
      throw new Fail("POLICY_INVALID", `the signer policy is not plain data: ${describeError(e)}`);
    }
    let signer = this.signerCache.get(policyKey);
    if (signer === undefined) {
      signer = compileSigner(policy);
      this.signerCache.set(policyKey, signer);
    }
    if (typeof signer === "string") throw new Fail("POLICY_INVALID", signer);
    return signer;
  }

  private verifyCached(input: unknown, subjectSpec: unknown, policies: SignerPolicy | readonly SignerPolicy[], many: boolean): VerificationOutcome {
    const { raw, parse } = readBundle(input, this.opts.maxBundleBytes);
    let policyKey: string;
    try {
      policyKey = JSON.stringify(policies ?? null);
    } catch (e) {
      throw new Fail("POLICY_INVALID", `the signer policy is not plain data: ${describeError(e)}`);
    }
    const signers = many ? (policies as readonly SignerPolicy[]).map((p) => this.compile(p)) : [this.compile(policies as SignerPolicy)];
    const subject = checkSubject(subjectSpec);
    const bundleDigest = sha256hex(raw);
    const key = `${bundleDigest}|${subject.key}|${sha256hex(policyKey)}`;
    const hit = this.verdicts.get(key);
    if (hit) return hit;
    let outcome: VerificationOutcome;
    try {
      this.work.bundles++;
      outcome = this.run(bundleDigest, parse(), subject, signers);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      outcome = failure(e.code, e.message);
    }
    this.verdicts.set(key, outcome, (typeof raw === "string" ? raw.length : raw.byteLength) + VERDICT_OVERHEAD_BYTES);
    return outcome;
  }

  // Checks run cheapest first: shape and caps (parse), subject, signer identity from the leaf; only then any
  // signature, chain, timestamp or log cryptography, and once, for the one signer the bundle names.
  private run(bundleDigest: string, input: unknown, subject: SubjectCheck, signers: readonly CompiledSigner[]): VerifiedBundle {
    const json = isLegacyCosignBundle(input) ? step("BUNDLE_MALFORMED", "legacy cosign bundle", () => convertLegacyCosignBundle(input)) : input;
    const bundle = parseBundle(json, this.trustedCaCerts);
    const content = bundle.content;
    let statement: InTotoStatement | undefined;
    let dssePayload: VerifiedBundle["dssePayload"];

    // 1. what was signed: the artifact or digest for message signatures, the payload for DSSE
    if (content.$case === "messageSignature") {
      checkMessageSubject(bundle, subject);
    } else {
      const env = content.dsseEnvelope;
      if (subject.payloadType !== undefined) {
        if (env.payloadType !== subject.payloadType) throw new Fail("DSSE_INVALID", `expected DSSE payloadType ${subject.payloadType}, got ${env.payloadType}`);
        dssePayload = { payloadType: env.payloadType, payloadBase64: env.payload.toString("base64") };
      } else {
        if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Fail("DSSE_INVALID", `expected DSSE payloadType ${IN_TOTO_PAYLOAD_TYPE}, got ${env.payloadType}`);
        const st = parseStatement(env.payload);
        if (typeof st === "string") throw new Fail("STATEMENT_INVALID", st);
        if (subject.callerBindsSubjects && st.subject.length === 0) throw new Fail("STATEMENT_INVALID", "expected a statement with at least one subject, got none");
        const [alg, hex] = subject.callerBindsSubjects ? ["", ""] : subject.sha256 !== undefined ? ["sha256", subject.sha256] : [subject.digest!.algorithm, subject.digest!.hex];
        const found = subject.callerBindsSubjects || (subject.artifact !== undefined ? artifactInStatement(st, subject.artifact, hex) : statementHasDigest(st, alg, hex));
        if (!found) {
          const named = st.subject.map((s) => `${s.name} (${Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(", ")})`).join("; ");
          throw new Fail("SUBJECT_MISMATCH", `expected a statement subject with ${alg}:${hex}; the statement names ${named}`);
        }
        statement = st;
      }
    }

    // 2. who signed, read from the leaf certificate's SAN and issuer (or the key hint) without checking any signature
    const candidates = step("BUNDLE_MALFORMED", "bundle verification material", () => this.candidateSigners(bundle, signers));
    const entity = step("BUNDLE_MALFORMED", "bundle verification material", () => this.toEntity(bundle, subject.artifact));

    // 3. signed time: every time source the bundle offers must verify, and at least one must exist
    const times = this.signedTimes(entity);

    // 4. certificate chain, validity at every signed time and SCTs; or which of the caller's keys
    const signer = this.chooseSigner(bundle, entity, candidates, subject);
    const { key, summary } = this.signingKey(bundle, entity, times, signer);

    // 5. the signature itself
    this.checkSignature(bundle, entity, key, signer, subject);

    // 6. transparency log: inclusion (SET and/or proof against a signed checkpoint) and body consistency
    this.checkTlogs(bundle, entity, summary.type === "certificate" ? { cert: leafDer(bundle) } : { spki: (signer as { spki: Buffer }).spki });

    return {
      ok: true,
      bundleDigest,
      mediaType: bundle.mediaType,
      contentKind: content.$case === "messageSignature" ? "message-signature" : "dsse",
      signer: summary,
      tlogEntries: bundle.verificationMaterial.tlogEntries.map(summarizeEntry),
      timestamps: times.map((t) => ({ source: t.source, time: t.time.toISOString() })),
      ...(statement ? { statement } : {}),
      ...(dssePayload ? { dssePayload } : {}),
    };
  }

  // @sigstore/verify's toSignedEntity, with the leaf certificate parsed once per fingerprint (parsing dominates)
  private toEntity(bundle: Bundle, artifact: Buffer | undefined): SignedEntity {
    const m = bundle.verificationMaterial.content;
    let key: SignedEntity["key"];
    if (m.$case === "publicKey") key = { $case: "public-key", hint: m.publicKey.hint };
    else key = { $case: "certificate", certificate: this.leaf(leafDer(bundle)).cert };
    const timestamps: SignedEntity["timestamps"] = [];
    for (const entry of bundle.verificationMaterial.tlogEntries as TransparencyLogEntry[]) {
      if (entry.integratedTime && entry.integratedTime !== "0") timestamps.push({ $case: "transparency-log", tlogEntry: entry });
    }
    for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
      timestamps.push({ $case: "timestamp-authority", timestamp: RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)) });
    }
    return { signature: signatureContent(bundle, artifact), key, tlogEntries: bundle.verificationMaterial.tlogEntries, timestamps };
  }

  // The signers this bundle can be from, by what it names (no cryptography): a keyless bundle's SAN and issuer pick
  // one certificate signer; a key-based bundle's hint narrows the caller's keys.
  private candidateSigners(bundle: Bundle, signers: readonly CompiledSigner[]): CompiledSigner[] {
    const m = bundle.verificationMaterial.content;
    const many = signers.length > 1 ? ` (none of the ${signers.length} trusted signers matched)` : "";
    if (m.$case === "publicKey") {
      const hint = m.publicKey.hint;
      const keys = signers.filter((s): s is CompiledSigner & { kind: "key" } => s.kind === "key");
      if (keys.length === 0) throw new Fail("IDENTITY_MISMATCH", `expected a certificate for ${signers[0]!.describe}; the bundle is signed with a bare public key (hint ${JSON.stringify(hint)})${many}`);
      const hinted = keys.filter((s) => s.keyHint === undefined || s.keyHint === hint);
      if (hinted.length === 0) throw new Fail("KEY_MISMATCH", `expected key hint ${JSON.stringify(keys[0]!.keyHint)}, got ${JSON.stringify(hint)}${many}`);
      return hinted;
    }
    const { san, issuer } = this.leaf(leafDer(bundle));
    const certs = signers.filter((s) => s.kind === "certificate");
    if (certs.length === 0) throw new Fail("KEY_MISMATCH", `expected a bundle signed with the caller's public key; it is signed with a certificate for ${san ?? "<no SAN>"}${many}`);
    const named = certs.filter((s) => san !== undefined && s.matches(san));
    if (named.length === 0) throw new Fail("IDENTITY_MISMATCH", `expected signer ${certs[0]!.describe}, got ${san ?? "<no SAN>"}${many}`);
    const issued = named.filter((s) => s.issuer === issuer);
    if (issued.length === 0) throw new Fail("ISSUER_MISMATCH", `expected OIDC issuer ${named[0]!.issuer}, got ${issuer ?? "<no issuer extension>"}${many}`);
    return [issued[0]!];
  }

  // Of several keys the hint allows: the one the log records, else the one whose signature verifies (at most one check per key).
  private chooseSigner(bundle: Bundle, entity: SignedEntity, candidates: readonly CompiledSigner[], subject: SubjectCheck): CompiledSigner {
    if (candidates.length === 1) return candidates[0]!;
    const logged = (bundle.verificationMaterial.tlogEntries as TransparencyLogEntry[]).flatMap((e) => {
      try {
        return [loggedVerifier(e)].filter((d): d is Buffer => d !== undefined);
      } catch {
        return [];
      }
    });
    const keys = candidates.filter((s): s is CompiledSigner & { kind: "key" } => s.kind === "key");
    const byLog = keys.find((s) => logged.some((d) => sameSigner(d, { spki: s.spki })));
    if (byLog) return byLog;
    return keys.find((s) => this.signatureOk(bundle, entity, s.key, subject)) ?? candidates[0]!;
  }

  private leaf(der: Buffer): Leaf {
    const fp = sha256hex(der);
    const hit = this.leafCache.get(fp);
    if (hit) return hit;
    const cert = X509Certificate.parse(Buffer.from(der));
    const extensions = fulcioExtensions(cert);
    let key: KeyObject | undefined;
    try {
      key = score.createPublicKey(cert.publicKey);
    } catch {
      key = undefined;
    }
    const leaf: Leaf = { fp, cert, key, san: cert.subjectAltName, extensions, issuer: certificateIssuer(extensions) };
    this.leafCache.set(fp, leaf);
    return leaf;
  }

  private signedTimes(entity: SignedEntity): SignedTime[] {
    const times: SignedTime[] = [];
    for (const ts of entity.timestamps) {
      if (ts.$case === "timestamp-authority") {
        this.work.timestampVerifications++;
        const t = step("TIMESTAMP_INVALID", "RFC 3161 timestamp", () => getTSATimestamp(ts.timestamp, entity.signature.signature, this.tm.timestampAuthorities));
        times.push({ source: "rfc3161", time: t.timestamp });
      } else if (ts.tlogEntry.inclusionPromise) {
        // the SET over this time is verified in step 5; nothing passes unless it does
        times.push({ source: "tlog", time: new Date(Number(ts.tlogEntry.integratedTime) * 1000) });
      }
    }
    const seen = new Set(times.map((t) => `${t.source}@${t.time.getTime()}`));
    if (seen.size !== times.length) throw new Fail("TIMESTAMP_INVALID", "the bundle repeats a signed time");
    if (times.length === 0) {
      throw new Fail("NO_SIGNED_TIME", "the bundle carries no signed time: no tlog inclusion promise (SET) and no RFC 3161 timestamp");
    }
    if (times.length < this.opts.timestamp) {
      throw new Fail("NO_SIGNED_TIME", `expected at least ${this.opts.timestamp} signed times, got ${times.length}`);
    }
    return times;
  }

  private signingKey(bundle: Bundle, entity: SignedEntity, times: SignedTime[], signer: CompiledSigner): { key: KeyObject; summary: SignerSummary } {
    const material = entity.key;
    if (material.$case === "public-key") {
      if (signer.kind !== "key") {
        throw new Fail("IDENTITY_MISMATCH", `expected a certificate for ${signer.describe}; the bundle is signed with a bare public key (hint ${JSON.stringify(material.hint)})`);
      }
      if (signer.keyHint !== undefined && signer.keyHint !== material.hint) {
        throw new Fail("KEY_MISMATCH", `expected key hint ${JSON.stringify(signer.keyHint)}, got ${JSON.stringify(material.hint)}`);
      }
      return { key: signer.key, summary: { type: "key", keyHint: material.hint, extensions: {} } };
    }
    const leaf = this.leaf(leafDer(bundle));
    const { fp, san, extensions, issuer, key } = leaf;
    if (signer.kind !== "certificate") {
      throw new Fail("KEY_MISMATCH", `expected a bundle signed with the caller's public key; it is signed with a certificate for ${san ?? "<no SAN>"}`);
    }
    if (san === undefined || !signer.matches(san)) throw new Fail("IDENTITY_MISMATCH", `expected signer ${signer.describe}, got ${san ?? "<no SAN>"}`);
    if (issuer !== signer.issuer) throw new Fail("ISSUER_MISMATCH", `expected OIDC issuer ${signer.issuer}, got ${issuer ?? "<no issuer extension>"}`);
    this.checkChain(leaf, times);
    if (!key) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the certificate's public key does not parse");
    return { key, summary: { type: "certificate", identity: san, issuer, extensions: { ...extensions }, certificateFingerprint: fp } };
  }

  private chainPaths(leaf: X509Certificate): ChainPath[] {
    this.work.chainVerifications++;
    return this.tm.certificateAuthorities.map((ca): ChainPath => {
      try {
        // path building and signature checks do not depend on time; validity windows are checked per signed time
        return certificatePath(ca.certChain, leaf);
      } catch {
        return undefined;
      }
    });
  }

  private checkChain(entry: Leaf, times: SignedTime[]): void {
    const leaf = entry.cert;
    const paths = (entry.paths ??= this.chainPaths(leaf));
    const first = paths.findIndex((p) => p !== undefined);
    if (first < 0) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the signing certificate does not chain to a trusted Fulcio CA");
    for (const { time, source } of times) {
      const ok = this.tm.certificateAuthorities.some((ca, i) => {
        const path = paths[i];
        return path !== undefined && ca.validFor.start <= time && time <= ca.validFor.end && path.every((c) => c.validForDate(time));
      });
      if (!ok) {
        throw new Fail(
          "CERTIFICATE_NOT_VALID_AT_TIME",
          `the certificate (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}) or its CA was not valid at the ${source} signed time ${time.toISOString()}`,
        );
      }
    }
    let scts = entry.scts;
    if (scts === undefined) {
      const path = paths[first]!;
      try {
        if (path.length < 2) throw new Error("the certificate has no issuer in the path");
        scts = verifySCTs(path[0]!, path[1]!, this.tm.ctlogs).map((id) => id.toString("hex"));
      } catch (e) {
        scts = `SCT verification failed: ${describeError(e)}`;
      }
      entry.scts = scts;
    }
    if (typeof scts === "string") throw new Fail("CERTIFICATE_CHAIN_INVALID", scts);
    if (new Set(scts).size !== scts.length) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the certificate repeats an SCT");
    if (scts.length < this.opts.ctlog) {
      throw new Fail("CERTIFICATE_CHAIN_INVALID", `expected at least ${this.opts.ctlog} verified SCTs in the certificate, got ${scts.length}`);
    }
  }

  private signatureOk(bundle: Bundle, entity: SignedEntity, key: KeyObject, subject: SubjectCheck): boolean {
    const content = bundle.content;
    this.work.signatureVerifications++;
    if (content.$case === "messageSignature" && subject.artifact === undefined) {
      const alg = HASHES[content.messageSignature.messageDigest.algorithm] ?? "sha256";
      return verifyPrehashed(key, alg, content.messageSignature.messageDigest.digest, content.messageSignature.signature);
    }
    return step("SIGNATURE_INVALID", "signature", () => entity.signature.verifySignature(key));
  }

  private checkSignature(bundle: Bundle, entity: SignedEntity, key: KeyObject, signer: CompiledSigner, subject: SubjectCheck): void {
    const content = bundle.content;
    if (this.signatureOk(bundle, entity, key, subject)) return;
    if (signer.kind === "key" && !loggedKeyMatches(bundle.verificationMaterial.tlogEntries, signer.spki)) {
      throw new Fail("KEY_MISMATCH", "the caller's public key did not make this signature (the log records a different key)");
    }
    const what = content.$case === "dsseEnvelope" ? "the DSSE envelope signature does not verify over its PAE" : "the signature does not verify over the artifact";
    throw new Fail("SIGNATURE_INVALID", what);
  }

  private checkTlogs(bundle: Bundle, entity: SignedEntity, signedBy: { cert: Buffer } | { spki: Buffer }): void {
    let verified = 0;
    const seen = new Set<string>();
    for (const [i, entry] of (bundle.verificationMaterial.tlogEntries as TransparencyLogEntry[]).entries()) {
      const where = `tlog entry ${i} (log index ${entry.logIndex})`;
      const id = entry.logId?.keyId;
      if (!id || !this.tm.tlogs.some((t) => t.logID.equals(id))) {
        throw new Fail("TLOG_UNTRUSTED_LOG", `${where}: log ${id?.toString("hex") ?? "<none>"} is not in the trusted root`);
      }
      // only the log the entry names may vouch for it: its SET and its checkpoint are checked against that log alone
      const logs = this.tm.tlogs.filter((t) => t.logID.equals(id));
      const dedupe = `${id.toString("hex")}/${entry.logIndex}`;
      if (seen.has(dedupe)) throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: the bundle repeats a tlog entry`);
      seen.add(dedupe);
      if (!entry.inclusionPromise && !entry.inclusionProof) throw new Fail("TLOG_INCLUSION_PROOF_INVALID", `${where}: neither an inclusion promise nor an inclusion proof`);
      this.work.tlogVerifications++;
      if (entry.inclusionPromise) {
        step("TLOG_SET_INVALID", `${where}: inclusion promise (SET)`, () => verifyTLogSET(entry as Parameters<typeof verifyTLogSET>[0], logs));
      }
      const proof = entry.inclusionProof;
      if (proof) {
        // the shape check comes first: the library matches the note's signer name as a regular expression
        const shape = checkCheckpointShape(proof.checkpoint!.envelope, logs[0]!.baseURL);
        if (shape !== undefined) throw new Fail("TLOG_CHECKPOINT_INVALID", `${where}: ${shape}`);
        const cp = step("TLOG_CHECKPOINT_INVALID", `${where}: checkpoint`, () => verifyCheckpoint(entry as Parameters<typeof verifyCheckpoint>[0], logs), true);
        if (!score.bufferEqual(cp.logHash, proof.rootHash) || cp.logSize !== BigInt(proof.treeSize)) {
          throw new Fail("TLOG_CHECKPOINT_INVALID", `${where}: the signed checkpoint (size ${cp.logSize}) does not match the inclusion proof's root (size ${proof.treeSize})`);
        }
        // without a SET nothing else covers the entry's own logIndex: it must be the one the proof is for
        if (!entry.inclusionPromise && entry.logIndex !== proof.logIndex) {
          throw new Fail("TLOG_INCLUSION_PROOF_INVALID", `${where}: the entry's log index differs from its inclusion proof's (${proof.logIndex})`);
        }
        step("TLOG_INCLUSION_PROOF_INVALID", `${where}: inclusion proof`, () => verifyMerkleInclusion(entry as Parameters<typeof verifyMerkleInclusion>[0], cp));
      }
      if (bundle.content.$case === "dsseEnvelope" && isHashedRekordV2(entry)) {
        const env = bundle.content.dsseEnvelope;
        const why = step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => checkDsseHashedRekordV2(entry, env));
        if (why !== undefined) throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: ${why}`);
      } else {
        step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => verifyTLogBody(entry, entity.signature));
      }
      const logged = step("TLOG_ENTRY_INCONSISTENT", `${where}: log entry body`, () => loggedVerifier(entry));
      if (!logged || !sameSigner(logged, signedBy)) {
        throw new Fail("TLOG_ENTRY_INCONSISTENT", `${where}: the log entry records another ${logged ? "signer" : "kind of entry"} than the bundle's certificate or key`);
      }
      verified++;
    }
    if (verified < this.opts.tlog) {
      throw new Fail("TLOG_THRESHOLD_NOT_MET", `expected at least ${this.opts.tlog} verified tlog entries, got ${verified}`);
    }
  }
}

function leafDer(bundle: Bundle): Buffer {
  const m = bundle.verificationMaterial.content;
  if (m.$case === "certificate") return Buffer.from(m.certificate.rawBytes);
  if (m.$case === "x509CertificateChain") return Buffer.from(m.x509CertificateChain.certificates[0]?.rawBytes ?? []);
  return Buffer.alloc(0);
}

// A keyless bundle's log entry must record its very certificate; a key-based one, a key or certificate of the caller's key.
function sameSigner(logged: Buffer, signedBy: { cert: Buffer } | { spki: Buffer }): boolean {
  if ("cert" in signedBy) return signedBy.cert.length > 0 && score.bufferEqual(logged, signedBy.cert);
  try {
    let spki = logged;
    try {
      spki = X509Certificate.parse(Buffer.from(logged)).publicKey;
    } catch {
      // not a certificate: the entry records a bare public key
    }
    return score.bufferEqual(createPublicKey({ key: spki, format: "der", type: "spki" }).export({ format: "der", type: "spki" }), signedBy.spki);
  } catch {
    return false;
  }
}

// The bytes are hashed for the verdict cache before anything is parsed; parsing happens only on a cache miss. A bundle
// over the cap is refused before either.
function readBundle(input: unknown, maxBytes: number): { raw: string | Uint8Array; parse: () => unknown } {
  const parseText = (text: string) => (): unknown => {
    let v: unknown;
    try {
      v = JSON.parse(text) as unknown;
    } catch (e) {
      throw new Fail("BUNDLE_MALFORMED", `the bundle is not JSON: ${describeError(e)}`);
    }
    checkDepth(v, maxBytes);
    return v;
  };
  const capped = (bytes: number): void => {
    if (bytes > maxBytes) throw new Fail("BUNDLE_MALFORMED", `the bundle is ${bytes} bytes; expected at most ${maxBytes} bytes of JSON`);
  };
  // UTF-8 takes at least one byte per UTF-16 code unit and at most three.
  const cappedText = (text: string): void => capped(text.length * 3 <= maxBytes ? text.length : Buffer.byteLength(text, "utf8"));
  if (typeof input === "string") {
    cappedText(input);
    return { raw: input, parse: parseText(input) };
  }
  if (input instanceof Uint8Array) {
    capped(input.byteLength);
    return { raw: input, parse: parseText(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8")) };
  }
  checkDepth(input, maxBytes);
  let text: string | undefined;
  try {
    text = JSON.stringify(input);
  } catch (e) {
    throw new Fail("BUNDLE_MALFORMED", `the bundle is not JSON: ${describeError(e)}`);
  }
  if (typeof text !== "string") throw new Fail("BUNDLE_MALFORMED", "the bundle is not JSON");
  cappedText(text);
  return { raw: text, parse: () => input };
}

// Iterative (an explicit stack), so a value nested 100,000 deep is measured, not recursed into. A value that refers
// to itself nests without end and is caught by depth; shared parts of a parsed value are visited at most maxNodes
// times in all (a JSON text has fewer values than bytes, so the byte cap bounds a parsed text the same way).
function checkDepth(root: unknown, maxNodes: number): void {
  const stack: [unknown, number][] = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) throw new Fail("BUNDLE_MALFORMED", `the bundle holds more than ${maxNodes} JSON values; expected at most ${maxNodes} bytes of JSON`);
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) continue;
    if (depth > MAX_BUNDLE_JSON_DEPTH) throw new Fail("BUNDLE_MALFORMED", `the bundle nests deeper than ${MAX_BUNDLE_JSON_DEPTH} levels; a Sigstore bundle is about 6 deep`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

function checkSubject(s: unknown): SubjectCheck {
  if (!isObj(s)) throw new Fail("POLICY_INVALID", "expected a subject { kind: artifact | digest | dsse-payload }");
  if (s.kind === "artifact") {
    if (!(s.bytes instanceof Uint8Array)) throw new Fail("POLICY_INVALID", "expected artifact bytes (Uint8Array)");
    const artifact = Buffer.from(s.bytes);
    const sha256 = sha256hex(artifact);
    return { key: `a:${sha256}`, artifact, sha256 };
  }
  if (s.kind === "digest") {
    const alg = s.algorithm;
    if (alg !== "sha256" && alg !== "sha384" && alg !== "sha512") throw new Fail("POLICY_INVALID", `expected digest algorithm sha256, sha384 or sha512, got ${String(alg)}`);
    const hex = typeof s.hex === "string" ? s.hex.toLowerCase() : "";
    if (!new RegExp(`^[0-9a-f]{${HEX_LENGTH[alg]}}$`).test(hex)) throw new Fail("POLICY_INVALID", `expected ${HEX_LENGTH[alg]} hex digits for a ${alg} digest`);
    return { key: `d:${alg}:${hex}`, digest: { algorithm: alg, hex }, ...(alg === "sha256" ? { sha256: hex } : {}) };
  }
  if (s.kind === "dsse-payload") {
    if (typeof s.payloadType !== "string" || s.payloadType === "") throw new Fail("POLICY_INVALID", "expected a DSSE payloadType");
    if (s.payloadType === IN_TOTO_PAYLOAD_TYPE) {
      throw new Fail("POLICY_INVALID", "in-toto statements must be verified against an artifact or digest subject, not as a bare payload");
    }
    return { key: `p:${s.payloadType}`, payloadType: s.payloadType };
  }
  if (s.kind === "in-toto-statement") {
    if (s.subjectsBoundBy !== "caller") throw new Fail("POLICY_INVALID", 'expected subjectsBoundBy: "caller" for an in-toto-statement subject');
    return { key: "s:caller", callerBindsSubjects: true };
  }
  throw new Fail("POLICY_INVALID", `expected subject kind artifact, digest, dsse-payload or in-toto-statement, got ${JSON.stringify(s.kind)}`);
}

// What an untrusted value is, for a message: a short string shown quoted, anything else by its kind (never serialized).
function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v;
}

function parseBundle(json: unknown, trustedCaCerts: ReadonlySet<string>): Bundle {
  if (!isObj(json)) throw new Fail("BUNDLE_MALFORMED", "the bundle is not a JSON object");
  const mediaType = json.mediaType;
  if (typeof mediaType !== "string" || !BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw new Fail("BUNDLE_MALFORMED", `unsupported bundle mediaType ${shown(mediaType)}; expected one of ${BUNDLE_MEDIA_TYPES.join(", ")}`);
  }
  const env = json.dsseEnvelope;
  if (isObj(env) && Array.isArray(env.signatures) && env.signatures.length !== 1) {
    throw new Fail("DSSE_INVALID", `expected exactly one DSSE signature, got ${env.signatures.length}`);
  }
  const b: Bundle = step("BUNDLE_MALFORMED", "the bundle does not parse", () => ProtoBundle.fromJSON(json) as Bundle);
  checkChainExtras(b, trustedCaCerts);
  checkRepeatsAndCaps(b);
  checkNumbers(b);
  checkTimestampEncoding(b);
  // an inclusion proof without a checkpoint cannot be tied to a signed tree head; say first whether it even hashes up
  for (const [i, entry] of (b.verificationMaterial?.tlogEntries ?? []).entries()) {
    const proof = entry.inclusionProof;
    if (proof && !proof.checkpoint?.envelope) {
      const unsigned = { logSize: BigInt(proof.treeSize), logHash: proof.rootHash } as LogCheckpoint;
      step("TLOG_INCLUSION_PROOF_INVALID", `tlog entry ${i}: inclusion proof`, () => verifyMerkleInclusion(entry as unknown as Parameters<typeof verifyMerkleInclusion>[0], unsigned));
      throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: the inclusion proof has no checkpoint, so it cannot be checked against a signed tree head`);
    }
  }
  step("BUNDLE_MALFORMED", "the bundle is malformed", () => {
    if (mediaType.endsWith("version=0.1")) assertBundleV01(b);
    else if (mediaType.endsWith("version=0.2")) assertBundleV02(b);
    else assertBundleLatest(b);
  });
  if (b.content.$case === "messageSignature" && !b.content.messageSignature.messageDigest) {
    throw new Fail("BUNDLE_MALFORMED", "the message signature has no messageDigest");
  }
  return b;
}

// Certificates after the leaf are never used (the path is built from the trusted root alone), but a bundle must not
// carry one the trusted root does not hold: a foreign root or intermediate is refused; old bundles' copies of the
// trusted CA chain, which the bundle spec asks verifiers to tolerate, are not.
function checkChainExtras(b: Bundle, trustedCaCerts: ReadonlySet<string>): void {
  const m = b.verificationMaterial?.content;
  if (m?.$case !== "x509CertificateChain") return;
  if (m.x509CertificateChain.certificates.length === 0) throw new Fail("BUNDLE_MALFORMED", "the bundle's certificate chain is empty; expected the signing certificate");
  for (const [i, c] of m.x509CertificateChain.certificates.entries()) {
    if (i > 0 && !trustedCaCerts.has(Buffer.from(c.rawBytes).toString("hex"))) {
      throw new Fail("CERTIFICATE_CHAIN_INVALID", `the bundle's certificate chain carries certificate ${i} after the leaf, which is not a certificate of the trusted root; expected the leaf alone`);
    }
  }
}

// Repeats are refused and counts capped before any token or entry is verified: a copy costs nothing to send but a
// signature check to verify, and must never count twice towards a threshold.
function checkRepeatsAndCaps(b: Bundle): void {
  const tokens = b.verificationMaterial?.timestampVerificationData?.rfc3161Timestamps ?? [];
  const seenTokens = new Map<string, number>();
  for (const [i, t] of tokens.entries()) {
    const d = sha256hex(t.signedTimestamp);
    const first = seenTokens.get(d);
    if (first !== undefined) throw new Fail("TIMESTAMP_INVALID", `RFC 3161 timestamp ${i} repeats timestamp ${first}: the bundle repeats a signed time`);
    seenTokens.set(d, i);
  }
  if (tokens.length > MAX_TIMESTAMPS_PER_BUNDLE) {
    throw new Fail("VERIFICATION_BUDGET_EXCEEDED", `the bundle carries ${tokens.length} RFC 3161 timestamps; at most ${MAX_TIMESTAMPS_PER_BUNDLE} are verified per bundle`);
  }
  const entries = b.verificationMaterial?.tlogEntries ?? [];
  const seenEntries = new Map<string, number>();
  for (const [i, e] of entries.entries()) {
    const d = `${e.logId ? Buffer.from(e.logId.keyId).toString("hex") : ""}/${e.logIndex}`;
    const first = seenEntries.get(d);
    if (first !== undefined) throw new Fail("TLOG_ENTRY_INCONSISTENT", `tlog entry ${i} (log index ${e.logIndex}): the bundle repeats a tlog entry (entry ${first})`);
    seenEntries.set(d, i);
  }
  if (entries.length > MAX_TLOG_ENTRIES_PER_BUNDLE) {
    throw new Fail("VERIFICATION_BUDGET_EXCEEDED", `the bundle carries ${entries.length} tlog entries; at most ${MAX_TLOG_ENTRIES_PER_BUNDLE} are verified per bundle`);
  }
}

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
// Log indexes, sizes and times are int64 decimal strings; anything else would become NaN or an invalid date downstream.
function checkNumbers(b: Bundle): void {
  for (const [i, e] of (b.verificationMaterial?.tlogEntries ?? []).entries()) {
    const fields: [string, unknown][] = [["logIndex", e.logIndex], ["integratedTime", e.integratedTime]];
    if (e.inclusionProof) fields.push(["inclusionProof.logIndex", e.inclusionProof.logIndex], ["inclusionProof.treeSize", e.inclusionProof.treeSize]);
    for (const [name, v] of fields) {
      if (typeof v !== "string" || !DECIMAL.test(v)) throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: ${name} is not a decimal integer: ${shown(v)}`);
    }
    // a signed time after 9999-12-31 is no time at all
    if (Number(e.integratedTime) > 253_402_300_799) throw new Fail("BUNDLE_MALFORMED", `tlog entry ${i}: integratedTime ${e.integratedTime} is out of range`);
  }
}

// The TSA signs the TSTInfo, not the token around it: the unsigned parts must have the one shape a TSA produces.
function checkTimestampEncoding(b: Bundle): void {
  for (const [i, t] of (b.verificationMaterial?.timestampVerificationData?.rfc3161Timestamps ?? []).entries()) {
    const der = Buffer.from(t.signedTimestamp);
    const why = checkTimestampToken(der);
    if (why !== undefined) throw new Fail("TIMESTAMP_INVALID", `RFC 3161 timestamp ${i}: ${why}`);
  }
}

// An artifact matches a subject by any digest the statement uses (npm provenance names sha512 only).
function artifactInStatement(st: InTotoStatement, artifact: Buffer, sha256: string): boolean {
  if (statementHasDigest(st, "sha256", sha256)) return true;
  return (["sha384", "sha512"] as const).some((alg) => st.subject.some((s) => s.digest[alg] !== undefined) && statementHasDigest(st, alg, createHash(alg).update(artifact).digest("hex")));
}

function checkMessageSubject(bundle: Bundle, subject: SubjectCheck): void {
  if (bundle.content.$case !== "messageSignature") return;
  const md = bundle.content.messageSignature.messageDigest;
  const alg = md ? HASHES[md.algorithm] : undefined;
  if (!md || !alg) throw new Fail("BUNDLE_MALFORMED", `expected messageDigest algorithm SHA2_256, SHA2_384 or SHA2_512, got ${md?.algorithm ?? "none"}`);
  const signed = md.digest.toString("hex");
  if (subject.payloadType !== undefined) throw new Fail("POLICY_INVALID", "a message-signature bundle is verified against an artifact or digest, not a DSSE payload type");
  if (subject.callerBindsSubjects) throw new Fail("STATEMENT_INVALID", "expected a DSSE in-toto statement; the bundle holds a message signature, which names no commit");
  let actual: string;
  if (subject.artifact !== undefined) {
    actual = alg === "sha256" && subject.sha256 !== undefined ? subject.sha256 : createHash(alg).update(subject.artifact).digest("hex");
  } else {
    const d = subject.digest!;
    if (d.algorithm !== alg) throw new Fail("ARTIFACT_MISMATCH", `the bundle signs a ${alg} digest, the caller gave ${d.algorithm}`);
    actual = d.hex;
  }
  if (actual !== signed) throw new Fail("ARTIFACT_MISMATCH", `the bundle signs ${alg}:${signed}, the artifact is ${alg}:${actual}`);
}

// Whether some tlog entry body names the caller's key (as base64 DER or base64 PEM), to tell a wrong key from a bad signature.
function loggedKeyMatches(entries: TransparencyLogEntry[], spki: Buffer): boolean {
  const der = spki.toString("base64");
  const pem = `-----BEGIN PUBLIC KEY-----\n${der.replace(/(.{64})/g, "$1\n")}\n-----END PUBLIC KEY-----\n`;
  const pemB64 = Buffer.from(pem).toString("base64");
  return entries.some((e) => {
    const body = e.canonicalizedBody.toString("utf8");
    return body.includes(der) || body.includes(pemB64);
  });
}

/** Lints the root and builds trust material once; throws AgentGateError("TRUSTED_ROOT_INVALID", reason) on a bad root. */
export function createVerifier(opts: VerifierOptions): CachingBundleVerifier {
  const problems = lintTrustedRoot(opts.trustedRoot);
  if (problems.length > 0) throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root is refused: ${problems.join("; ")}`);
  let tm: TrustMaterial;
  const caCerts = new Set<string>();
  try {
    const root = TrustedRoot.fromJSON(opts.trustedRoot);
    for (const ca of root.certificateAuthorities) for (const c of ca.certChain?.certificates ?? []) caCerts.add(Buffer.from(c.rawBytes).toString("hex"));
    tm = toTrustMaterial(root, () => {
      throw new Error("keys come from the signer policy");
    });
  } catch (e) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root does not load: ${describeError(e)}`, "invalid-input", { cause: e });
  }
  const int = (name: string, v: number | undefined, fallback: number, min: number): number => {
    const n = v ?? fallback;
    if (!Number.isInteger(n) || n < min) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `expected ${name} to be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  return new Verifier(tm, caCerts, {
    tlog: int("tlogThreshold", opts.tlogThreshold, 1, 0),
    ctlog: int("ctlogThreshold", opts.ctlogThreshold, 1, 0),
    timestamp: int("timestampThreshold", opts.timestampThreshold, 1, 1),
    cacheSize: int("verdictCacheSize", opts.verdictCacheSize, 10_000, 0),
    cacheBytes: int("verdictCacheBytes", opts.verdictCacheBytes, DEFAULT_VERDICT_CACHE_BYTES, 0),
    certificates: int("certificateCacheSize", opts.certificateCacheSize, DEFAULT_CERTIFICATE_CACHE_SIZE, 0),
    maxBundleBytes: int("maxBundleBytes", opts.maxBundleBytes, DEFAULT_MAX_BUNDLE_BYTES, 0),
  });
}
