// What was signed: the caller's subject (artifact bytes, a digest, a DSSE payload type, or statement subjects the
// caller binds) checked, and checked against the bundle's message digest or its DSSE in-toto statement.
import { createHash } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import type { InTotoStatement, VerifiedBundle } from "../../core/verification.js";
import { IN_TOTO_PAYLOAD_TYPE, parseStatement, statementHasDigest } from "./intoto.js";
import type { DigestAlgorithm } from "./verifier-types.js";
import { Fail, isObj, sha256hex } from "./verify-fail.js";

export const HASHES: Readonly<Record<number, DigestAlgorithm>> = { 1: "sha256", 2: "sha384", 3: "sha512" };
const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export interface SubjectCheck {
  key: string;
  callerBindsSubjects?: true;
  artifact?: Buffer;
  sha256?: string;
  digest?: { algorithm: DigestAlgorithm; hex: string };
  payloadType?: string;
}

export function checkSubject(s: unknown): SubjectCheck {
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

/** Step 1 of a verification: what the bundle signs must be the caller's subject; returns the statement or payload read. */
export function checkContent(bundle: Bundle, subject: SubjectCheck): { statement?: InTotoStatement; dssePayload?: VerifiedBundle["dssePayload"] } {
  const content = bundle.content;
  let statement: InTotoStatement | undefined;
  let dssePayload: VerifiedBundle["dssePayload"];
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
  return { ...(statement ? { statement } : {}), ...(dssePayload ? { dssePayload } : {}) };
}
