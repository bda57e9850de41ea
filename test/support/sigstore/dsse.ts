// DSSE envelopes and in-toto statements: what an attestation signs, byte for byte.
import { Buffer } from "node:buffer";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";

export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface StatementInput {
  readonly subjects: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/** DSSE pre-authentication encoding: the exact bytes a DSSE signature covers. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  const prefix = `DSSEv1 ${type.length} ${payloadType} ${payload.length} `;
  return Buffer.concat([Buffer.from(prefix, "utf8"), payload]);
}

/** An in-toto Statement v1 serialised as the JSON bytes that become the DSSE payload. */
export function inTotoStatement(input: StatementInput): Buffer {
  if (input.subjects.length === 0) throw new Error("expected at least one statement subject, got none");
  const statement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: input.subjects.map((s) => ({ name: s.name, digest: { ...s.digest } })),
    predicateType: input.predicateType,
    predicate: input.predicate,
  };
  return Buffer.from(JSON.stringify(statement), "utf8");
}
