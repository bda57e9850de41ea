// cosign's legacy `--bundle` JSON (not a Sigstore bundle; cosign <= 2.x by default, v3 with --new-bundle-format=false)
// converted to the v0.1 bundle it maps onto: `sign-blob` (a message signature, logged as hashedrekord) and
// `attest-blob` (base64Signature holds the DSSE envelope's JSON, logged as dsse/0.0.1).
import * as z from "zod";

// built on first use, not at import: constructing zod schemas costs every command that loads this file at start
const schemas = (): ReturnType<typeof build> => (built ??= build());
let built: ReturnType<typeof build> | undefined;
const build = () => ({ LegacyBundle: legacyBundleSchema(), Body: bodySchema(), Envelope: envelopeSchema() });

const legacyBundleSchema = () => z.object({
  base64Signature: z.string().min(1),
  cert: z.string().optional(),
  rekorBundle: z.object({
    SignedEntryTimestamp: z.string().min(1),
    Payload: z.object({
      body: z.string().min(1),
      integratedTime: z.number().int().nonnegative(),
      logIndex: z.number().int().nonnegative(),
      logID: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  }),
});

const bodySchema = () => z.object({
  kind: z.string(),
  apiVersion: z.string(),
  spec: z.object({ data: z.object({ hash: z.object({ algorithm: z.string(), value: z.string().regex(/^[0-9a-f]+$/) }).optional() }).optional() }),
});

const envelopeSchema = () => z.object({
  payloadType: z.string().min(1),
  payload: z.string(),
  signatures: z.array(z.object({ sig: z.string().min(1), keyid: z.string().optional() })).length(1),
});

const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = { sha256: "SHA2_256", sha384: "SHA2_384", sha512: "SHA2_512" };

export function isLegacyCosignBundle(json: unknown): boolean {
  return typeof json === "object" && json !== null && "base64Signature" in json && "rekorBundle" in json;
}

function pemToDer(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new Error("cert is not a PEM certificate");
  return m[1].replace(/\s+/g, "");
}

/** The value as the schema reads it, or an Error on one line naming the first field that is wrong and what it expected. */
function read<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`${what}: ${issue?.path.length ? `${issue.path.join(".")}: ` : ""}${issue?.message ?? "invalid"}${r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : ""}`);
}

/** Converts a legacy cosign bundle; throws an Error naming the first field that is wrong. */
export function convertLegacyCosignBundle(json: unknown): Record<string, unknown> {
  const { LegacyBundle, Body, Envelope } = schemas();
  const legacy = read(LegacyBundle, json, "the legacy cosign bundle");
  const { Payload: p, SignedEntryTimestamp: set } = legacy.rekorBundle;
  const body = read(Body, JSON.parse(Buffer.from(p.body, "base64").toString("utf8")), "rekorBundle.Payload.body");
  let content: Record<string, unknown>;
  if (body.kind === "dsse") {
    // the log entry names the envelope's payload hash and signature; the verifier checks them against this envelope
    const env = read(Envelope, JSON.parse(Buffer.from(legacy.base64Signature, "base64").toString("utf8")), "base64Signature's DSSE envelope");
    content = { dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((sig) => ({ sig: sig.sig, keyid: sig.keyid ?? "" })) } };
  } else if (body.kind === "hashedrekord") {
    const hash = body.spec.data?.hash;
    const algorithm = hash ? DIGEST_ALGORITHMS[hash.algorithm] : undefined;
    if (!hash || !algorithm) throw new Error("the log entry carries no supported artifact digest");
    content = { messageSignature: { messageDigest: { algorithm, digest: Buffer.from(hash.value, "hex").toString("base64") }, signature: legacy.base64Signature } };
  } else {
    throw new Error(`expected a hashedrekord or dsse log entry, got ${body.kind}`);
  }
  let material: Record<string, unknown>;
  if (legacy.cert !== undefined) {
    // cosign writes the PEM certificate base64-encoded once more
    const pem = legacy.cert.includes("-----BEGIN") ? legacy.cert : Buffer.from(legacy.cert, "base64").toString("utf8");
    material = { x509CertificateChain: { certificates: [{ rawBytes: pemToDer(pem) }] } };
  } else {
    material = { publicKey: { hint: "" } };
  }
  return {
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial: {
      ...material,
      tlogEntries: [
        {
          logIndex: String(p.logIndex),
          logId: { keyId: Buffer.from(p.logID, "hex").toString("base64") },
          kindVersion: { kind: body.kind, version: body.apiVersion },
          integratedTime: String(p.integratedTime),
          inclusionPromise: { signedEntryTimestamp: set },
          canonicalizedBody: p.body,
        },
      ],
    },
    ...content,
  };
}
