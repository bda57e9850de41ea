// Transparency-log checks around the library's: Rekor v2 DSSE logged as hashedrekord over the PAE, proof
// consistency with the checkpoint, and summaries.
import type { TransparencyLogEntry } from "@sigstore/bundle";
import type { TrustMaterial } from "@sigstore/verify";
import { crypto as score, dsse } from "@sigstore/core";
import type { Envelope } from "@sigstore/protobuf-specs";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { Entry } from "@sigstore/protobuf-specs/rekor/v2";
import type { TlogEntrySummary } from "../../core/verification.js";
import { sha256Hex } from "../../core/digest.js";

type Tlog = TrustMaterial["tlogs"][number];

/**
 * Of the logs an entry names, those whose validity window covers every one of `times`: only they may vouch for the
 * entry (its SET, its checkpoint). A log whose key was retired before the signing does not vouch for it.
 * Returns the logs, or why none is left (naming each log's window and the times outside it).
 */
export function logsValidAt(logs: readonly Tlog[], times: readonly { source: string; time: Date }[]): Tlog[] | string {
  const covers = (t: Tlog, time: Date): boolean => t.validFor.start <= time && time <= t.validFor.end;
  const valid = logs.filter((t) => times.length > 0 && times.every(({ time }) => covers(t, time)));
  if (valid.length > 0) return valid;
  if (times.length === 0) return "no signed time to check the log's validity window against";
  const windows = logs.map((t) => `${t.baseURL} is trusted from ${t.validFor.start.toISOString()} to ${t.validFor.end.toISOString()}`).join("; ");
  const outside = times.filter(({ time }) => !logs.some((t) => covers(t, time)));
  const shown = (outside.length > 0 ? outside : times).map(({ source, time }) => `the ${source} signed time ${time.toISOString()}`).join(", ");
  const id = logs[0]?.logID.toString("hex") ?? "<none>";
  return `log ${id} (${windows}) is not valid at ${shown}: a log vouches only for entries signed within its validity window`;
}

/** Rekor v2 logs a DSSE envelope as hashedrekord/0.0.2 whose digest is sha256 of the envelope's PAE. */
export function isHashedRekordV2(entry: TransparencyLogEntry): boolean {
  return entry.kindVersion?.kind === "hashedrekord" && entry.kindVersion.version === "0.0.2";
}

/** Returns why the entry does not describe this envelope, or undefined when it does. */
export function checkDsseHashedRekordV2(entry: TransparencyLogEntry, env: Envelope): string | undefined {
  const body: unknown = JSON.parse(entry.canonicalizedBody.toString("utf8"));
  const parsed = Entry.fromJSON(body);
  if (parsed.kind !== "hashedrekord" || parsed.apiVersion !== "0.0.2") {
    return `kind/version mismatch: expected hashedrekord/0.0.2, the body says ${parsed.kind}/${parsed.apiVersion}`;
  }
  const spec = parsed.spec?.spec;
  if (spec?.$case !== "hashedRekordV002") return "the log entry body is not a hashedRekordV002";
  const { data, signature } = spec.hashedRekordV002;
  const sig = env.signatures[0]?.sig;
  if (!sig || !signature || !score.bufferEqual(signature.content, sig)) return "the logged signature differs from the envelope's";
  if (!data || data.algorithm !== HashAlgorithm.SHA2_256) return "the logged digest is not SHA2_256";
  const pae = dsse.preAuthEncoding(env.payloadType, env.payload);
  if (!score.bufferEqual(data.digest, score.digest("sha256", pae))) return "the logged digest is not sha256 of the envelope's PAE";
  return undefined;
}

function bodyKind(entry: TransparencyLogEntry): { rekorVersion: 1 | 2 } {
  // Rekor v2 entries carry no integrated time and no SET; their body kinds are versioned 0.0.2 with a typed spec
  const v2 = entry.kindVersion?.version === "0.0.2" && entry.kindVersion.kind !== "intoto";
  return { rekorVersion: v2 ? 2 : 1 };
}

export function summarizeEntry(entry: TransparencyLogEntry): TlogEntrySummary {
  // an integrated time is reported only when a verified SET covers it
  const t = entry.inclusionPromise ? Number(entry.integratedTime) : 0;
  return {
    logId: entry.logId?.keyId.toString("hex") ?? "",
    logIndex: entry.logIndex,
    // The entry's Merkle leaf hash, its UUID in Rekor v1: what a revocation list may name it by.
    leafHash: sha256Hex(Buffer.concat([Buffer.from([0]), entry.canonicalizedBody])),
    ...(t > 0 ? { integratedTime: new Date(t * 1000).toISOString() } : {}),
    kind: entry.kindVersion?.kind ?? "",
    kindVersion: entry.kindVersion?.version ?? "",
    rekorVersion: bodyKind(entry).rekorVersion,
  };
}

const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;
const SIGNER_NAME = /^[A-Za-z0-9._:/-]{1,255}$/;

/**
 * The library finds checkpoint signatures with a loose regex and matches names as patterns against the log URL;
 * here the signed note must be exactly a note plus well-formed signature lines with plain names, one of them by the
 * note's origin, and the origin must be the host of the log that vouches for the entry. Returns why not, or undefined.
 */
export function checkCheckpointShape(envelope: string, logBaseUrl: string): string | undefined {
  const split = envelope.indexOf("\n\n");
  if (split < 0 || !envelope.endsWith("\n")) return "the checkpoint is not a signed note";
  const origin = envelope.slice(0, envelope.indexOf("\n"));
  const name = origin.split(" - ")[0] ?? "";
  const lines = envelope.slice(split + 2, -1).split("\n");
  let byOrigin = false;
  for (const line of lines) {
    const m = SIGNATURE_LINE.exec(line);
    if (!m) return `malformed checkpoint signature line ${JSON.stringify(line.slice(0, 80))}`;
    // witnesses may cosign under their own names, but only plain names: the library matches them as patterns
    if (!SIGNER_NAME.test(m[1] ?? "")) return `checkpoint signer name ${JSON.stringify(m[1]?.slice(0, 80))} is not a plain name`;
    byOrigin ||= m[1] === name;
  }
  if (!byOrigin) return `the checkpoint carries no signature by its origin ${name}`;
  let host: string;
  try {
    host = new URL(logBaseUrl).host;
  } catch {
    return `the trusted log's base URL ${logBaseUrl} is not a URL`;
  }
  return host === name ? undefined : `the checkpoint origin ${name} is not the log at ${logBaseUrl}`;
}

function pemDer(b64: unknown): Buffer | undefined {
  if (typeof b64 !== "string") return undefined;
  const pem = Buffer.from(b64, "base64").toString("utf8");
  const m = /-----BEGIN [A-Z ]+-----([A-Za-z0-9+/=\s]+)-----END [A-Z ]+-----/.exec(pem);
  return m?.[1] ? Buffer.from(m[1].replace(/\s+/g, ""), "base64") : undefined;
}
const dig = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((n, k) => (typeof n === "object" && n !== null ? (n as Record<string | number, unknown>)[k] : undefined), o);

/**
 * The DER of the certificate or public key the log entry records as the signer (the library compares only the
 * signature and digest: CVE-2022-36056 is about exactly this gap). Undefined when the body names none.
 */
export function loggedVerifier(entry: TransparencyLogEntry): Buffer | undefined {
  const body: unknown = JSON.parse(entry.canonicalizedBody.toString("utf8"));
  const kind = dig(body, "kind");
  const version = dig(body, "apiVersion");
  if (version === "0.0.2" && (kind === "hashedrekord" || kind === "dsse")) {
    const spec = dig(body, "spec", kind === "hashedrekord" ? "hashedRekordV002" : "dsseV002");
    const verifier = kind === "hashedrekord" ? dig(spec, "signature", "verifier") : dig(spec, "signatures", 0, "verifier");
    const raw = dig(verifier, "x509Certificate", "rawBytes") ?? dig(verifier, "publicKey", "rawBytes");
    return typeof raw === "string" ? Buffer.from(raw, "base64") : undefined;
  }
  if (kind === "hashedrekord") return pemDer(dig(body, "spec", "signature", "publicKey", "content"));
  if (kind === "dsse") return pemDer(dig(body, "spec", "signatures", 0, "verifier"));
  if (kind === "intoto") return pemDer(dig(body, "spec", "content", "envelope", "signatures", 0, "publicKey"));
  return undefined;
}
