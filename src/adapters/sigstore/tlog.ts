// Transparency-log checks around the library's: Rekor v2 DSSE logged as hashedrekord over the PAE, proof
// consistency with the checkpoint, and summaries.
import type { TransparencyLogEntry } from "@sigstore/bundle";
import { crypto as score, dsse } from "@sigstore/core";
import type { Envelope } from "@sigstore/protobuf-specs";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { Entry } from "@sigstore/protobuf-specs/rekor/v2";
import type { TlogEntrySummary } from "../../core/verification.js";

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
  const t = Number(entry.integratedTime);
  return {
    logId: entry.logId?.keyId.toString("hex") ?? "",
    logIndex: entry.logIndex,
    ...(t > 0 ? { integratedTime: new Date(t * 1000).toISOString() } : {}),
    kind: entry.kindVersion?.kind ?? "",
    kindVersion: entry.kindVersion?.version ?? "",
    rekorVersion: bodyKind(entry).rekorVersion,
  };
}
