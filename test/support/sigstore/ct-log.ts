// A fake certificate transparency log: signs RFC 6962 precertificate SCTs with its own P-256 key.
import { Buffer } from "node:buffer";
import { sign } from "node:crypto";
import { uint } from "./der.js";
import { ecKeyPair, sha256 } from "./keys.js";
import type { TestKeyPair } from "./keys.js";

export interface CtLog {
  readonly key: TestKeyPair;
  readonly logId: Buffer; // sha256 of the SPKI
  readonly baseUrl: string;
  /** A serialised SCT over a precertificate TBS issued by the key whose SPKI is given. */
  sct(tbs: Uint8Array, issuerSpki: Uint8Array, at: Date): Buffer;
}

export async function createCtLog(baseUrl = "https://ctfe.agent-gate.test"): Promise<CtLog> {
  const key = await ecKeyPair("P-256");
  const logId = sha256(key.spki);
  return {
    key,
    logId,
    baseUrl,
    sct(tbs, issuerSpki, at) {
      const timestamp = uint(at.getTime(), 8);
      const signed = Buffer.concat([
        Buffer.from([0, 0]), // v1, certificate_timestamp
        timestamp,
        uint(1, 2), // precert_entry
        sha256(issuerSpki),
        uint(tbs.length, 3),
        tbs,
        uint(0, 2), // no extensions
      ]);
      const sig = sign("sha256", signed, key.privateKey);
      return Buffer.concat([Buffer.from([0]), logId, timestamp, uint(0, 2), Buffer.from([4, 3]), uint(sig.length, 2), sig]);
    },
  };
}

/** The TLS-encoded SignedCertificateTimestampList that goes, wrapped in an OCTET STRING, into the certificate. */
export function sctList(scts: readonly Uint8Array[]): Buffer {
  const body = Buffer.concat(scts.map((s) => Buffer.concat([uint(s.length, 2), s])));
  return Buffer.concat([uint(body.length, 2), body]);
}
