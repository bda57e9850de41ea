// The bundle verifier: built once from trust material; verify() is synchronous and never throws.
// @sigstore/verify does the cryptography; this file orders the checks, fills the library's gaps (identity is
// compared here, DSSE payloads are read here, Rekor v2 DSSE entries are checked here) and codes every failure.
// The steps live beside it: bundle-parse (caps and shape), subject-check (what was signed), chain-check (certificate
// path, validity, SCTs), tlog-verify (log entries); verifier-types holds the public types, re-exported here.
import type { KeyObject } from "node:crypto";
import type { Bundle, TransparencyLogEntry } from "@sigstore/bundle";
import type { SignedEntity } from "@sigstore/verify";
import { getTSATimestamp, signatureContent } from "./verify-internals.js";
import { AgentGateError, describeError } from "../../core/errors.js";
import { failure } from "../../core/verification.js";
import type { SignerSummary, VerificationOutcome, VerifiedBundle } from "../../core/verification.js";
import { convertLegacyCosignBundle, isLegacyCosignBundle } from "./legacy.js";
import { compileSigner, issuerFits } from "./signer-policy.js";
import type { CompiledSigner } from "./signer-policy.js";
import { verifyPrehashed } from "./prehash.js";
import { LruCache } from "../lru.js";
import { loggedVerifier, summarizeEntry } from "./tlog.js";
import { leafDer, parseBundle, readBundle } from "./bundle-parse.js";
import { checkChain, parseLeaf, pathsIn } from "./chain-check.js";
import { rootOfCertificate, rootTrusts } from "./roots.js";
import type { RootTrust } from "./roots.js";
import type { Leaf, SignedTime, WorkCounters } from "./chain-check.js";
import { HASHES, checkContent, checkSubject } from "./subject-check.js";
import type { SubjectCheck } from "./subject-check.js";
import { checkTlogs, loggedKeyMatches, sameSigner } from "./tlog-verify.js";
import { DEFAULT_CERTIFICATE_CACHE_SIZE, DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_VERDICT_CACHE_BYTES } from "./verifier-types.js";
import type { CachingBundleVerifier, CommitSignatureRequest, SignerPolicy, VerifierCacheStats, VerifierOptions, VerifierWorkStats, VerifyAnyRequest, VerifyRequest } from "./verifier-types.js";
import { Fail, isObj, sha256hex, step } from "./verify-fail.js";
import { verifyGitsignPayload, type CommitVerification } from "./gitsign.js";
import { parseTimestamp } from "./der.js";

export * from "./verifier-types.js";

/** Weight of a verdict beyond its bundle's size (key, outcome and summaries). */
const VERDICT_OVERHEAD_BYTES = 1024;

class Verifier implements CachingBundleVerifier {
  private readonly leafCache: LruCache<string, Leaf>; // leaf sha256 -> parsed certificate, key, SAN, extensions, chain, SCTs
  private readonly signerCache = new LruCache<string, CompiledSigner | string>(1000); // policy JSON -> compiled policy
  private readonly verdicts: LruCache<string, VerificationOutcome>; // (bundle, subject, policies) digests -> verdict
  private readonly commitVerdicts = new LruCache<string, CommitVerification>(4096); // commit payload + signature digest -> verdict (~1 KiB each)
  private readonly work: WorkCounters = { bundles: 0, timestampVerifications: 0, chainVerifications: 0, signatureVerifications: 0, tlogVerifications: 0 };

  private readonly trustedCaCerts: ReadonlySet<string>; // hex DER of every certificate in every root's CA chains

  constructor(
    private readonly roots: readonly RootTrust[], // the primary first
    private readonly opts: { cacheSize: number; cacheBytes: number; certificates: number; maxBundleBytes: number },
  ) {
    this.trustedCaCerts = new Set(roots.flatMap((r) => [...r.caCerts]));
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

  /** A gitsign signature over a commit payload, for any identity: against each trusted root, the first that verifies. */
  verifyCommit(req: CommitSignatureRequest): CommitVerification {
    // Every event of a pull request re-verifies its commits; a commit's verdict depends only on its bytes and the
    // roots (its signed time is the Rekor entry's, never the clock), so it is kept, bounded, by their digest.
    const key = this.opts.cacheSize > 0 ? sha256hex(Buffer.concat([Buffer.from(`${req.payload.length}:`), req.payload, Buffer.from(req.signature)])) : undefined;
    const cached = key !== undefined ? this.commitVerdicts.get(key) : undefined;
    if (cached) return cached;
    let first: CommitVerification | undefined;
    let verdict: CommitVerification | undefined;
    for (const r of this.roots) {
      const v = verifyGitsignPayload({ payload: req.payload, signature: req.signature, trust: r.tm });
      if (v.ok) {
        verdict = v;
        break;
      }
      first ??= v;
    }
    verdict ??= first ?? { ok: false, code: "CERTIFICATE_CHAIN_INVALID", message: "no trusted root is loaded" };
    if (key !== undefined) this.commitVerdicts.set(key, verdict);
    return verdict;
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

    // 1. what was signed: the artifact or digest for message signatures, the payload for DSSE
    const { statement, dssePayload } = checkContent(bundle, subject);

    // 2. who signed, read from the leaf certificate's SAN and issuer (or the key hint) without checking any signature
    const candidates = step("BUNDLE_MALFORMED", "bundle verification material", () => this.candidateSigners(bundle, signers));
    const entity = step("BUNDLE_MALFORMED", "bundle verification material", () => this.toEntity(bundle, subject.artifact));

    // 3. the root: the one whose CA issued the certificate (key-signed bundles: the primary root); then signed time:
    // every time source the bundle offers must verify against that root, and its thresholds must be met
    const root = step("BUNDLE_MALFORMED", "bundle verification material", () => this.rootOf(bundle));
    const times = this.signedTimes(entity, root);

    // 4. certificate chain, validity at every signed time and SCTs; or which of the caller's keys
    const signer = this.chooseSigner(bundle, entity, candidates, subject);
    const { key, summary } = this.signingKey(bundle, entity, times, signer, root);

    // 5. the signature itself
    this.checkSignature(bundle, entity, key, signer, subject);

    // 6. transparency log: inclusion (SET and/or proof against a signed checkpoint) and body consistency
    checkTlogs(bundle, entity, summary.type === "certificate" ? { cert: this.bundleLeaf(bundle).der } : { spki: (signer as { spki: Buffer }).spki }, times, root.tm.tlogs, root.tlog, this.work);

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
    else key = { $case: "certificate", certificate: this.bundleLeaf(bundle).cert };
    const timestamps: SignedEntity["timestamps"] = [];
    for (const entry of bundle.verificationMaterial.tlogEntries as TransparencyLogEntry[]) {
      if (entry.integratedTime && entry.integratedTime !== "0") timestamps.push({ $case: "transparency-log", tlogEntry: entry });
    }
    for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
      timestamps.push({ $case: "timestamp-authority", timestamp: parseTimestamp(Buffer.from(ts.signedTimestamp)) });
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
    const { san, issuer } = this.bundleLeaf(bundle);
    const certs = signers.filter((s) => s.kind === "certificate");
    if (certs.length === 0) throw new Fail("KEY_MISMATCH", `expected a bundle signed with the caller's public key; it is signed with a certificate for ${san ?? "<no SAN>"}${many}`);
    const named = certs.filter((s) => san !== undefined && s.matches(san));
    if (named.length === 0) throw new Fail("IDENTITY_MISMATCH", `expected signer ${certs[0]!.describe}, got ${san ?? "<no SAN>"}${many}`);
    const issued = named.filter((s) => issuerFits(s, issuer));
    if (issued.length === 0) throw new Fail("ISSUER_MISMATCH", `expected OIDC issuer ${named[0]!.issuer ?? "<no issuer extension>"}, got ${issuer ?? "<no issuer extension>"}${many}`);
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

  // the bundle's leaf, looked up (digest, cache) once per verification whatever the certificate cache's size
  private readonly bundleLeaves = new WeakMap<Bundle, Leaf>();
  private bundleLeaf(bundle: Bundle): Leaf {
    let leaf = this.bundleLeaves.get(bundle);
    if (leaf === undefined) {
      leaf = this.leaf(leafDer(bundle));
      this.bundleLeaves.set(bundle, leaf);
    }
    return leaf;
  }

  private leaf(der: Buffer): Leaf {
    const fp = sha256hex(der);
    const hit = this.leafCache.get(fp);
    if (hit) return hit;
    const leaf = parseLeaf(der, fp);
    this.leafCache.set(fp, leaf);
    return leaf;
  }

  private rootOf(bundle: Bundle): RootTrust {
    if (bundle.verificationMaterial.content.$case === "publicKey") return this.roots[0]!;
    const leaf = this.bundleLeaf(bundle);
    return rootOfCertificate(this.roots, leaf.cert, (r) => pathsIn(leaf, r, this.work));
  }

  private signedTimes(entity: SignedEntity, root: RootTrust): SignedTime[] {
    if (root.tm.tlogs.length === 0 && entity.tlogEntries.length > 0) {
      throw new Fail("TLOG_UNTRUSTED_LOG", `the trusted root ${root.name} has no transparency log; expected no tlog entries and an RFC 3161 timestamp from its TSA, got ${entity.tlogEntries.length} tlog entries`);
    }
    const times: SignedTime[] = [];
    for (const ts of entity.timestamps) {
      if (ts.$case === "timestamp-authority") {
        this.work.timestampVerifications++;
        const t = step("TIMESTAMP_INVALID", "RFC 3161 timestamp", () => getTSATimestamp(ts.timestamp, entity.signature.signature, root.tm.timestampAuthorities));
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
    if (times.length < root.timestamp) {
      throw new Fail("NO_SIGNED_TIME", `expected at least ${root.timestamp} signed times, got ${times.length}`);
    }
    const tokens = times.filter((t) => t.source === "rfc3161").length;
    if (tokens < root.rfc3161) {
      throw new Fail("NO_SIGNED_TIME", `the trusted root ${root.name} has no transparency log, so it requires ${root.rfc3161} RFC 3161 timestamp(s) from its TSA; the bundle carries ${tokens}`);
    }
    return times;
  }

  private signingKey(bundle: Bundle, entity: SignedEntity, times: SignedTime[], signer: CompiledSigner, root: RootTrust): { key: KeyObject; summary: SignerSummary } {
    const material = entity.key;
    if (material.$case === "public-key") {
      if (signer.kind !== "key") {
        throw new Fail("IDENTITY_MISMATCH", `expected a certificate for ${signer.describe}; the bundle is signed with a bare public key (hint ${JSON.stringify(material.hint)})`);
      }
      if (signer.keyHint !== undefined && signer.keyHint !== material.hint) {
        throw new Fail("KEY_MISMATCH", `expected key hint ${JSON.stringify(signer.keyHint)}, got ${JSON.stringify(material.hint)}`);
      }
      return { key: signer.key, summary: { type: "key", keyHint: material.hint, extensions: {}, root: root.name } };
    }
    const leaf = this.bundleLeaf(bundle);
    const { fp, tbsFp, san, extensions, issuer, key } = leaf;
    if (signer.kind !== "certificate") {
      throw new Fail("KEY_MISMATCH", `expected a bundle signed with the caller's public key; it is signed with a certificate for ${san ?? "<no SAN>"}`);
    }
    if (san === undefined || !signer.matches(san)) throw new Fail("IDENTITY_MISMATCH", `expected signer ${signer.describe}, got ${san ?? "<no SAN>"}`);
    if (!issuerFits(signer, issuer)) throw new Fail("ISSUER_MISMATCH", `expected OIDC issuer ${signer.issuer ?? "<no issuer extension>"}, got ${issuer ?? "<no issuer extension>"}`);
    checkChain(leaf, times, root, this.work);
    if (!key || tbsFp === undefined) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the certificate's public key or signed part (TBS) does not parse");
    return { key, summary: { type: "certificate", identity: san, issuer, extensions: { ...extensions }, certificateFingerprint: fp, certificateTbsFingerprint: tbsFp, root: root.name } };
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
}

/** Lints the root and builds trust material once; throws AgentGateError("TRUSTED_ROOT_INVALID", reason) on a bad root. */
export function createVerifier(opts: VerifierOptions): CachingBundleVerifier {
  const primary = {
    ...(opts.trustedRootName !== undefined ? { name: opts.trustedRootName } : {}),
    root: opts.trustedRoot,
    ...(opts.tlogThreshold !== undefined ? { tlogThreshold: opts.tlogThreshold } : {}),
    ...(opts.ctlogThreshold !== undefined ? { ctlogThreshold: opts.ctlogThreshold } : {}),
    ...(opts.timestampThreshold !== undefined ? { timestampThreshold: opts.timestampThreshold } : {}),
  };
  const roots = rootTrusts([primary, ...(opts.additionalRoots ?? [])]);
  const int = (name: string, v: number | undefined, fallback: number, min: number): number => {
    const n = v ?? fallback;
    if (!Number.isInteger(n) || n < min) throw new AgentGateError("VERIFIER_OPTIONS_INVALID", `expected ${name} to be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  return new Verifier(roots, {
    cacheSize: int("verdictCacheSize", opts.verdictCacheSize, 10_000, 0),
    cacheBytes: int("verdictCacheBytes", opts.verdictCacheBytes, DEFAULT_VERDICT_CACHE_BYTES, 0),
    certificates: int("certificateCacheSize", opts.certificateCacheSize, DEFAULT_CERTIFICATE_CACHE_SIZE, 0),
    maxBundleBytes: int("maxBundleBytes", opts.maxBundleBytes, DEFAULT_MAX_BUNDLE_BYTES, 0),
  });
}
