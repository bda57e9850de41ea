// Offline verification of a gitsign-signed commit: the raw commit object (`git cat-file commit SHA`) is split as git
// splits it, the `gpgsig` header's CMS SignedData is read with der.ts's linear DER reader (its certificates then
// served to @sigstore/core's accessors, as the Sigstore verifier's are), and every check is made against the trusted root: content binding, the CMS
// signature, the Fulcio chain, the SCT, the signer's identity and issuer, and gitsign's embedded Rekor entry, which
// alone gives a signed time. See docs/verify-commit.md for the decisions on the 2022 and pre-release layouts.
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { X509Certificate } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import type { TrustMaterial } from "@sigstore/verify";
import { sha256Bytes, sha256Hex } from "../../core/digest.js";
import { AgentGateError, describeError } from "../../core/errors.js";
import { VERIFICATION_CODES } from "../../core/verification.js";
import type { SignerPolicy } from "./verifier.js";
import { compileSigner } from "./signer-policy.js";
import type { CompiledSigner } from "./signer-policy.js";
import { certificateIdentity, certificateIssuer, fulcioExtensions } from "./extensions.js";
import { lintTrustedRoot } from "./rootlint.js";
import { parseCertificate, readDer } from "./der.js";
import type { DerNode } from "./der.js";
import { leafBytes, leafPath, verifiedSctLogs } from "./ca-path.js";
import { checkEmbeddedEntry, decodeEmbeddedEntry, hashedRekordBody } from "./gitsign-rekor.js";
import type { EmbeddedEntry } from "./gitsign-rekor.js";
import { commitId, onlineSignedTime } from "./gitsign-online.js";
import { splitSignedCommit } from "../../core/signed-commits.js";
import type { OnlineEntry } from "./gitsign-online.js";

/** A commit object is a few KB; a gitsign signature about 3 KB. Anything far larger is refused before parsing. */
export const MAX_COMMIT_BYTES = 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  sha256: "2.16.840.1.101.3.4.2.1",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  rekorEntry: "1.3.6.1.4.1.57264.3.1",
  rekorArc: "1.3.6.1.4.1.57264.3.",
} as const;

/**
 * The signed-commit verifier's outcome codes, each with what it means (docs/errors.md is generated from it); those it
 * shares with the bundle verifier mean the same.
 */
export const COMMIT_VERIFICATION_CODES = {
  COMMIT_MALFORMED: "Not a commit object, or a gpgsig header that is not one PEM SIGNED MESSAGE.",
  COMMIT_UNSIGNED: "No gpgsig header.",
  SIGNATURE_MALFORMED: "The CMS does not parse, or is not the SignedData gitsign writes.",
  CONTENT_MISMATCH: "The signed messageDigest is not sha256 of this commit (an edited or moved signature).",
  SIGNATURE_INVALID: "The CMS signature does not verify over the signed attributes.",
  CERTIFICATE_CHAIN_INVALID: VERIFICATION_CODES.CERTIFICATE_CHAIN_INVALID,
  CERTIFICATE_NOT_VALID_AT_TIME: VERIFICATION_CODES.CERTIFICATE_NOT_VALID_AT_TIME,
  SCT_INVALID: "No embedded SCT verifies against the trusted CT logs.",
  IDENTITY_MISMATCH: VERIFICATION_CODES.IDENTITY_MISMATCH,
  ISSUER_MISMATCH: VERIFICATION_CODES.ISSUER_MISMATCH,
  POLICY_INVALID: VERIFICATION_CODES.POLICY_INVALID,
  NO_SIGNED_TIME: "No embedded Rekor entry (gitsign's online mode, or the unsupported pre-release layout).",
  TLOG_UNTRUSTED_LOG: VERIFICATION_CODES.TLOG_UNTRUSTED_LOG,
  TLOG_SET_INVALID: VERIFICATION_CODES.TLOG_SET_INVALID,
  TLOG_CHECKPOINT_INVALID: VERIFICATION_CODES.TLOG_CHECKPOINT_INVALID,
  TLOG_INCLUSION_PROOF_INVALID: VERIFICATION_CODES.TLOG_INCLUSION_PROOF_INVALID,
  TLOG_ENTRY_INCONSISTENT: "The log entry's body does not match the commit's signature.",
} as const satisfies Record<string, string>;

export type CommitVerificationCode = keyof typeof COMMIT_VERIFICATION_CODES;

export interface VerifiedCommit {
  readonly ok: true;
  readonly payloadSha256: string;
  /** certificateTbsFingerprint: sha256 of the leaf's TBSCertificate (its identity); certificateFingerprint: of its DER. */
  readonly signer: { identity: string; issuer: string; extensions: Record<string, string>; certificateFingerprint: string; certificateTbsFingerprint: string };
  /** leafHash: sha256(0x00 || the entry's canonicalized body), the entry's Rekor UUID without the tree id. */
  readonly tlogEntry: { logId: string; logIndex: string; integratedTime: string; leafHash: string };
}
export type CommitVerification = VerifiedCommit | { readonly ok: false; readonly code: CommitVerificationCode; readonly message: string };

class Fail extends Error {
  constructor(
    readonly code: CommitVerificationCode,
    message: string,
  ) {
    super(message);
  }
}

/** The commit's signed payload and its gpgsig value, as git splits them (the gate's definition too: core/signed-commits.ts). */
export { splitSignedCommit };

function pemBody(pem: string): Buffer {
  const m = /^-----BEGIN SIGNED MESSAGE-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END SIGNED MESSAGE-----\r?\n?$/.exec(pem);
  if (!m) throw new Fail("COMMIT_MALFORMED", "expected the gpgsig header to be one PEM block labelled SIGNED MESSAGE (a gitsign signature)");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}

const expect = (cond: boolean, what: string): void => {
  if (!cond) throw new Fail("SIGNATURE_MALFORMED", `the CMS signature is malformed: expected ${what}`);
};

interface Attribute {
  oid: string;
  values: DerNode[];
}
function attributes(set: DerNode, what: string): Attribute[] {
  return set.subs.map((a) => {
    expect(a.subs.length === 2 && a.subs[0]!.tag.isOID() && a.subs[1]!.tagByte === 0x31, `${what} as SEQUENCE { OID, SET }`);
    return { oid: a.subs[0]!.toOID(), values: a.subs[1]!.subs };
  });
}
function single(attrs: Attribute[], oid: string, what: string): DerNode {
  const hits = attrs.filter((a) => a.oid === oid);
  expect(hits.length === 1 && hits[0]!.values.length === 1, `exactly one ${what} signed attribute with one value`);
  return hits[0]!.values[0]!;
}

interface ParsedCms {
  certificates: { der: Buffer; cert: X509Certificate }[];
  issuer: Buffer;
  serial: Buffer;
  signedAttrsDer: Buffer;
  messageDigest: Buffer;
  signature: Buffer;
  unsigned: Attribute[];
}

/**
 * Parses the detached SignedData gitsign writes (one SignerInfo, SHA-256, ECDSA, id-data) with der.ts's reader: one
 * linear pass, canonical DER, at most 32 levels and 10,000 elements, OCTET STRINGs left opaque. The certificates
 * and the signed attributes are the exact bytes of the input, not re-encodings.
 */
export function parseCms(der: Buffer): ParsedCms {
  let root: DerNode;
  try {
    root = readDer(der).root;
  } catch (e) {
    throw new Fail("SIGNATURE_MALFORMED", `the CMS signature is not usable DER: ${describeError(e)}`);
  }
  expect(root.tagByte === 0x30 && root.subs.length === 2 && root.subs[0]!.tag.isOID() && root.subs[0]!.toOID() === OID.signedData, "a ContentInfo of type signedData");
  const sdWrap = root.subs[1]!;
  expect(sdWrap.tagByte === 0xa0 && sdWrap.subs.length === 1 && sdWrap.subs[0]!.tagByte === 0x30, "[0] SignedData");
  const sd = sdWrap.subs[0]!.subs;
  expect(sd.length >= 4 && sd[0]!.tag.isInteger(), "SignedData { version, digestAlgorithms, encapContentInfo, ..., signerInfos }");
  const encap = sd[2]!;
  expect(encap.subs.length === 1 && encap.subs[0]!.tag.isOID() && encap.subs[0]!.toOID() === OID.data, "detached id-data content");
  const certificates: ParsedCms["certificates"] = [];
  for (const opt of sd.slice(3, -1)) {
    if (opt.tagByte !== 0xa0) continue; // [1] CRLs are not used
    for (const c of opt.subs) {
      try {
        certificates.push({ der: c.der, cert: parseCertificate(c.der) });
      } catch (e) {
        throw new Fail("SIGNATURE_MALFORMED", `a certificate in the CMS does not parse: ${describeError(e)}`);
      }
    }
  }
  const signerInfos = sd[sd.length - 1]!;
  expect(signerInfos.tagByte === 0x31 && signerInfos.subs.length === 1 && signerInfos.subs[0]!.tagByte === 0x30, "exactly one SignerInfo (gitsign writes one)");
  const si = signerInfos.subs[0]!.subs;
  expect(si.length >= 6 && si[1]!.subs.length === 2 && si[1]!.subs[1]!.tag.isInteger(), "a SignerInfo identified by issuerAndSerialNumber");
  expect(si[2]!.subs[0]?.tag.isOID() === true && si[2]!.subs[0].toOID() === OID.sha256, "digest algorithm SHA-256");
  const signed = si[3]!;
  expect(signed.tagByte === 0xa0, "signed attributes");
  expect(si[4]!.subs[0]?.tag.isOID() === true && si[4]!.subs[0].toOID() === OID.ecdsaSha256, "signature algorithm ecdsa-with-SHA256");
  expect(si[5]!.tag.isOctetString(), "the signature as an OCTET STRING");
  const unsignedObj = si[6];
  if (unsignedObj !== undefined) expect(unsignedObj.tagByte === 0xa1 && si.length === 7, "unsigned attributes as [1]");
  const signedAttrs = attributes(signed, "a signed attribute");
  const ct = single(signedAttrs, OID.contentType, "contentType");
  expect(ct.tag.isOID() && ct.toOID() === OID.data, "contentType id-data");
  const md = single(signedAttrs, OID.messageDigest, "messageDigest");
  expect(md.tag.isOctetString() && md.value.length === 32, "a 32-byte messageDigest");
  // signed over as SET OF (0x31), not with the [0] tag the attributes carry inside SignerInfo: a copy of their bytes
  const signedAttrsDer = Buffer.from(signed.der);
  signedAttrsDer[0] = 0x31;
  return {
    certificates,
    issuer: si[1]!.subs[0]!.value,
    serial: si[1]!.subs[1]!.value,
    signedAttrsDer,
    messageDigest: md.value,
    signature: si[5]!.value,
    unsigned: unsignedObj ? attributes(unsignedObj, "an unsigned attribute") : [],
  };
}

/** Builds trust material from a trusted_root.json document; throws AgentGateError("TRUSTED_ROOT_INVALID") when unusable. */
export function commitTrustMaterial(root: unknown): TrustMaterial {
  const problems = lintTrustedRoot(root);
  if (problems.length > 0) throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root is refused: ${problems.join("; ")}`);
  try {
    return toTrustMaterial(TrustedRoot.fromJSON(root), () => {
      throw new Error("commit signatures are keyless");
    });
  } catch (e) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", `the trusted root does not load: ${describeError(e)}`, "invalid-input", { cause: e });
  }
}

export interface CommitVerifyOptions {
  readonly commit: Buffer;
  readonly signer: Extract<SignerPolicy, { kind: "certificate" }>;
  readonly trust: TrustMaterial;
  /** Entries found in Rekor for the commit's id (gitsign-online.ts); used only when the signature embeds none. */
  readonly online?: readonly OnlineEntry[];
}

function verifyOrThrow({ commit, signer, trust, online }: CommitVerifyOptions): VerifiedCommit {
  const policy: CompiledSigner | string = compileSigner(signer);
  if (typeof policy === "string") throw new Fail("POLICY_INVALID", policy);
  if (policy.kind !== "certificate") throw new Fail("POLICY_INVALID", "expected a certificate identity and issuer");
  if (commit.length > MAX_COMMIT_BYTES) throw new Fail("COMMIT_MALFORMED", `the commit is ${commit.length} bytes; expected at most ${MAX_COMMIT_BYTES}`);
  const split = splitSignedCommit(commit);
  if ("error" in split) throw new Fail(split.unsigned ? "COMMIT_UNSIGNED" : "COMMIT_MALFORMED", split.error);
  return verifySplit(split, policy, trust, online ? { entries: online, id: commitId(commit) } : undefined);
}

function verifySplit(split: { payload: Buffer; signature: string }, policy: Extract<CompiledSigner, { kind: "certificate" }> | undefined, trust: TrustMaterial, online?: { entries: readonly OnlineEntry[]; id: string }): VerifiedCommit {
  if (split.payload.length > MAX_COMMIT_BYTES) throw new Fail("COMMIT_MALFORMED", `the commit payload is ${split.payload.length} bytes; expected at most ${MAX_COMMIT_BYTES}`);
  if (split.signature.length > MAX_SIGNATURE_BYTES) throw new Fail("COMMIT_MALFORMED", `the gpgsig header is ${split.signature.length} bytes; expected at most ${MAX_SIGNATURE_BYTES}`);
  const cms = parseCms(pemBody(split.signature));

  // content binding first: a valid signature moved onto other bytes fails here, whatever else verifies
  const payloadSha256 = sha256Bytes(split.payload);
  if (!payloadSha256.equals(cms.messageDigest)) {
    throw new Fail("CONTENT_MISMATCH", `the signature is not over this commit: its messageDigest is ${cms.messageDigest.toString("hex")}, the commit's payload hashes to ${payloadSha256.toString("hex")}`);
  }
  // the signer is the certificate the SignerInfo names, not the first one; the others are unused hints
  const leaf = cms.certificates.find((c) => c.cert.issuer.equals(cms.issuer) && c.cert.serialNumber.equals(cms.serial));
  if (!leaf) throw new Fail("SIGNATURE_MALFORMED", "the CMS holds no certificate matching the SignerInfo's issuerAndSerialNumber");
  const key = createPublicKey({ key: leaf.cert.publicKey, format: "der", type: "spki" });
  if (!cryptoVerify("sha256", cms.signedAttrsDer, key, cms.signature)) throw new Fail("SIGNATURE_INVALID", "the CMS signature does not verify over the signed attributes with the certificate's key");

  const extensions = fulcioExtensions(leaf.cert);
  const id = certificateIdentity(leaf.cert);
  if ("problem" in id) throw new Fail("IDENTITY_MISMATCH", id.problem);
  const san = id.san;
  const issuerOf = certificateIssuer(leaf.cert);
  if ("problem" in issuerOf) throw new Fail("ISSUER_MISMATCH", issuerOf.problem);
  const issuer = issuerOf.issuer;
  if (policy) {
    if (san === undefined || !policy.matches(san)) throw new Fail("IDENTITY_MISMATCH", `expected signer ${policy.describe}, got ${san ?? "<no SAN>"}`);
    if (issuer !== policy.issuer) throw new Fail("ISSUER_MISMATCH", `expected OIDC issuer ${policy.issuer}, got ${issuer ?? "<no issuer extension>"}`);
  } else {
    // any identity the trusted root certifies: the policy judges who signed, but a signer must be named
    if (san === undefined) throw new Fail("IDENTITY_MISMATCH", "the signing certificate names no identity (SAN)");
    if (issuer === undefined) throw new Fail("ISSUER_MISMATCH", "the signing certificate names no OIDC issuer");
  }

  // the chain is built from the trusted root alone (CMS certificates are hints only), at the leaf's issuance
  const issued = leaf.cert.notBefore;
  const pathLeaf = { cert: leaf.cert, der: Buffer.from(leaf.der), bytes: leafBytes(Buffer.from(leaf.der)) };
  let path: X509Certificate[] | undefined;
  for (const ca of trust.certificateAuthorities) {
    if (issued < ca.validFor.start || issued > ca.validFor.end) continue;
    try {
      path = leafPath(ca, pathLeaf);
      break;
    } catch {
      // try the next CA
    }
  }
  if (!path || path.length < 2) throw new Fail("CERTIFICATE_CHAIN_INVALID", "the signing certificate does not chain to a Fulcio CA of the trusted root valid when it was issued");
  let scts: Buffer[];
  try {
    scts = verifiedSctLogs(pathLeaf, path[1]!, trust.ctlogs);
  } catch (e) {
    throw new Fail("SCT_INVALID", `the certificate's SCT does not verify: ${describeError(e)}`);
  }
  // an SCT is required, as verify-bundle requires one: 2022 root-issued leaves without one fail here (docs/verify-commit.md)
  if (scts.length === 0) throw new Fail("SCT_INVALID", "the certificate carries no SCT (certificate transparency) that verifies against the trusted root's CT logs");

  // the signed time: only gitsign's embedded Rekor entry gives one offline
  const entryAttr = cms.unsigned.filter((a) => a.oid === OID.rekorEntry);
  const legacy = cms.unsigned.some((a) => a.oid.startsWith(OID.rekorArc) && a.oid !== OID.rekorEntry);
  const value = entryAttr.length === 1 && entryAttr[0]!.values.length === 1 ? entryAttr[0]!.values[0]! : undefined;
  let entry: EmbeddedEntry;
  let t: Date;
  let body: Buffer;
  if (!legacy && entryAttr.length === 0 && online !== undefined) {
    const found = onlineSignedTime(online.entries, online.id, leaf.der, trust);
    if ("code" in found) throw new Fail(found.code, found.message);
    ({ entry, time: t, body } = found);
  } else {
    ({ entry, time: t, body } = embeddedSignedTime(legacy, entryAttr, value, cms, leaf.der, trust));
  }
  if (t < leaf.cert.notBefore || t > leaf.cert.notAfter || !path.every((c) => c.validForDate(t))) {
    throw new Fail("CERTIFICATE_NOT_VALID_AT_TIME", `the Rekor integrated time ${t.toISOString()} is outside the certificate's validity (${leaf.cert.notBefore.toISOString()} to ${leaf.cert.notAfter.toISOString()}) or its CA's`);
  }
  return {
    ok: true,
    payloadSha256: payloadSha256.toString("hex"),
    signer: { identity: san, issuer, extensions, certificateFingerprint: sha256Hex(leaf.der), certificateTbsFingerprint: sha256Hex(pathLeaf.bytes!.tbs) },
    tlogEntry: { logId: entry.logId.toString("hex"), logIndex: entry.logIndex, integratedTime: t.toISOString(), leafHash: sha256Hex(Buffer.concat([Buffer.from([0]), body])) },
  };
}

/** The signed time gitsign's embedded Rekor entry (offline mode) gives, checked over a body rebuilt from the signature. */
function embeddedSignedTime(legacy: boolean, entryAttr: Attribute[], value: DerNode | undefined, cms: ParsedCms, leafDer: Buffer, trust: TrustMaterial): { entry: EmbeddedEntry; time: Date; body: Buffer } {
  if (legacy || value === undefined || !value.tag.isOctetString()) {
    const why = legacy
      ? "its Rekor data uses gitsign's pre-release attribute layout (1.3.6.1.4.1.57264.3.0-3.8), which is not supported"
      : entryAttr.length > 1
        ? "it carries more than one Rekor entry attribute"
        : "it carries no embedded Rekor entry (gitsign's online mode; look it up with verify-commit --rekor-url)";
    throw new Fail("NO_SIGNED_TIME", `no verifiable signed time: ${why}`);
  }
  let entry;
  try {
    entry = decodeEmbeddedEntry(value.value);
  } catch (e) {
    throw new Fail("TLOG_ENTRY_INCONSISTENT", `the embedded Rekor entry does not decode: ${describeError(e)}`);
  }
  const body = hashedRekordBody(cms.signedAttrsDer, cms.signature, leafDer);
  const checked = checkEmbeddedEntry(entry, body, trust);
  if ("code" in checked) throw new Fail(checked.code, checked.message);
  return { entry, time: checked.time, body };
}

export interface SignedPayloadOptions {
  /** The signed commit object without its signature header (GitHub's `verification.payload`). */
  readonly payload: Buffer;
  /** The armoured signature, "-----BEGIN SIGNED MESSAGE-----" ... (GitHub's `verification.signature`). */
  readonly signature: string;
  readonly trust: TrustMaterial;
}

/**
 * Verifies a gitsign signature over a commit payload, for ANY identity the trusted root certifies (the caller's
 * policy judges the signer from the returned facts); every other check is verify-commit's. Never throws for bad input.
 */
export function verifyGitsignPayload({ payload, signature, trust }: SignedPayloadOptions): CommitVerification {
  try {
    return verifySplit({ payload, signature: signature.endsWith("\n") ? signature : `${signature}\n` }, undefined, trust);
  } catch (e) {
    if (e instanceof Fail) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

/** Verifies a gitsign-signed raw commit offline; never throws for bad input (an unexpected throw is a bug, reported as such). */
export function verifyGitsignCommit(opts: CommitVerifyOptions): CommitVerification {
  try {
    return verifyOrThrow(opts);
  } catch (e) {
    if (e instanceof Fail) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}
