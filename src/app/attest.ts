// `agent-gate attest`, the library half: builds the agent-gate provenance statement, refuses secret-bearing
// inputs, signs it as a DSSE in-toto envelope and assembles a Sigstore bundle (v0.3) that the PR gate reads.
// I/O (git, files, HTTP) is the CLI's; everything here is given its inputs, so tests run it offline.
import { Buffer } from "node:buffer";
import { X509Certificate, createHash, createPublicKey, randomBytes } from "node:crypto";
import { RFC3161Timestamp } from "@sigstore/core";
import { AgentGateError } from "../core/errors.js";
import { AgentGateStatement, buildAgentStatement, sha256Hex } from "../core/provenance.js";
import type { AgentStatementInput } from "../core/provenance.js";
import { scanSecrets } from "../core/secrets.js";
import { renderProvenanceBlock } from "../core/provenance-block.js";
import { assembleBundle, IN_TOTO_PAYLOAD_TYPE, keyHintOf, rekorV1ProposedEntry, rekorV2EntryRequest, signDsse } from "../adapters/sigstore/signing/index.js";
import type { BundleJson, DsseContent, LogVerifier, Signer, TlogEntryJson, VerificationKey } from "../adapters/sigstore/signing/index.js";

export interface InputFile {
  readonly path: string; // as the user named it; shown in errors
  readonly text: string;
}

/** Throws SECRETS_FOUND naming every finding as path:line:column (kind); the values are never included. */
export function refuseSecrets(files: readonly InputFile[]): void {
  const found: string[] = [];
  for (const f of files) for (const s of scanSecrets(f.text)) found.push(`${f.path}:${s.line}:${s.column} (${s.kind})`);
  if (found.length > 0) {
    throw new AgentGateError("SECRETS_FOUND", `refusing to sign: secret-like content in ${found.join(", ")}; remove it and try again`, "invalid-input", {
      details: found,
    });
  }
}

export interface AttestStatementInput extends Omit<AgentStatementInput, "prompt"> {
  readonly prompt: InputFile & { readonly includeText?: boolean };
  readonly config?: InputFile;
}

/** The agent-gate v1 statement; the configuration (when given) is recorded by digest as a resolved dependency. */
export function attestStatement(input: AttestStatementInput): AgentGateStatement {
  refuseSecrets([input.prompt, ...(input.config ? [input.config] : [])]);
  const { config, prompt, ...rest } = input;
  const statement = buildAgentStatement({ ...rest, prompt: { text: prompt.text, includeText: prompt.includeText === true } });
  if (!config) return statement;
  const withConfig = structuredClone(statement) as AgentGateStatement & { predicate: { buildDefinition: { resolvedDependencies?: unknown[] } } };
  withConfig.predicate.buildDefinition.resolvedDependencies = [
    ...(withConfig.predicate.buildDefinition.resolvedDependencies ?? []),
    { name: "agent-configuration", uri: `file:${config.path}`, digest: { sha256: sha256Hex(config.text) } },
  ];
  return AgentGateStatement.parse(withConfig);
}

/** Fetches an RFC 3161 TimeStampResp (DER) over the signature bytes. */
export type Timestamper = (signature: Buffer) => Promise<Uint8Array>;
/** Logs the signed DSSE envelope (with the key or certificate that checks it); returns the bundle's tlog entry. */
export type TlogUploader = (content: DsseContent, verifier: LogVerifier) => Promise<TlogEntryJson>;

export interface SignOptions {
  readonly signer: Signer & { readonly keyHint?: string };
  /** Who signed, as the bundle says: default the signer's key by its hint; keyless: the Fulcio chain (leaf first). */
  readonly key?: VerificationKey;
  readonly timestamper?: Timestamper;
  readonly tlog?: TlogUploader;
}

export interface Attestation {
  readonly statement: AgentGateStatement;
  readonly bundle: BundleJson;
  readonly bundleJson: string;
  readonly block: string; // the PR-body provenance block
}

/** Signs `statement` with a key: a DSSE in-toto envelope, timestamped and logged when those are configured. */
export async function signStatement(statement: AgentGateStatement, opts: SignOptions): Promise<Attestation> {
  const payload = Buffer.from(JSON.stringify(statement), "utf8");
  const content = signDsse(opts.signer, IN_TOTO_PAYLOAD_TYPE, payload);
  const rfc3161Timestamps = opts.timestamper ? [await opts.timestamper(content.signature)] : [];
  const key: VerificationKey = opts.key ?? { kind: "key", hint: opts.signer.keyHint ?? keyHintOf(opts.signer.publicKeyPem) };
  const verifier: LogVerifier = key.kind === "key" ? { kind: "key", publicKeyPem: opts.signer.publicKeyPem } : { kind: "certificate", der: key.chain[0] ?? new Uint8Array() };
  const tlogEntries = opts.tlog ? [await opts.tlog(content, verifier)] : [];
  const bundle = assembleBundle({ version: "0.3", content, key, tlogEntries, rfc3161Timestamps });
  const bundleJson = JSON.stringify(bundle);
  return { statement, bundle, bundleJson, block: renderProvenanceBlock(bundleJson) };
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 3161 over HTTP (a Sigstore timestamp authority: POST application/timestamp-query to .../api/v1/timestamp).

const SHA256_OID_DER = Buffer.from("0609608648016503040201", "hex");

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** A DER TimeStampReq (v1, SHA-256 imprint, a random nonce, certReq TRUE). */
export function timeStampRequest(digest: Buffer, nonce: Buffer = randomBytes(8)): Buffer {
  const algorithm = der(0x30, Buffer.concat([SHA256_OID_DER, Buffer.from([0x05, 0x00])]));
  const imprint = der(0x30, Buffer.concat([algorithm, der(0x04, digest)]));
  // a positive, minimally encoded INTEGER: top bit clear and a non-zero first byte (DER parsers such as Go's reject both)
  const positiveNonce = Buffer.from(nonce);
  positiveNonce[0] = ((positiveNonce[0] ?? 1) & 0x7f) | 0x01;
  return der(0x30, Buffer.concat([der(0x02, Buffer.from([1])), imprint, der(0x02, positiveNonce), Buffer.from([0x01, 0x01, 0xff])]));
}

export function httpTimestamper(url: string, fetchImpl: typeof fetch = fetch): Timestamper {
  return async (signature) => {
    const body = timeStampRequest(createHash("sha256").update(signature).digest());
    let res: Response;
    try {
      res = await fetchImpl(url, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body });
    } catch (e) {
      throw new AgentGateError("TSA_UNREACHABLE", `timestamp authority ${url} did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
    }
    if (!res.ok) throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} answered HTTP ${res.status}`, "transient");
    const answer = new Uint8Array(await res.arrayBuffer());
    checkTimestampAnswer(url, answer, signature);
    return answer;
  };
}

/** The authority granted the request and stamped exactly this signature; otherwise the bundle could never verify. */
export function checkTimestampAnswer(url: string, answer: Uint8Array, signature: Buffer): void {
  // The parser reads lazily: every field used below is read here, so that a malformed answer is named as such.
  let status: bigint;
  let info: RFC3161Timestamp["tstInfo"] | undefined;
  try {
    const stamp = RFC3161Timestamp.parse(Buffer.from(answer));
    status = stamp.status;
    if (status === 0n || status === 1n) {
      info = stamp.tstInfo;
      void info.messageImprintHashAlgorithm;
      void info.messageImprintHashedMessage;
    }
  } catch (e) {
    throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} answered with something that is not an RFC 3161 timestamp response: ${e instanceof Error ? e.message : String(e)}`, "transient");
  }
  // PKIStatus 0 granted, 1 granted with modifications; anything else is a refusal
  if (!info) throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} refused the request (PKIStatus ${status})`, "transient");
  try {
    info.verify(signature);
  } catch {
    throw new AgentGateError("TSA_FAILED", `timestamp authority ${url} stamped another message than this signature (its message imprint does not match)`, "transient");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rekor v1 over HTTP: POST {url}/api/v1/log/entries with a dsse/0.0.1 proposed entry; the answer (uuid -> entry
// with its SET and inclusion proof) becomes the bundle's tlog entry.

interface RekorV1Entry {
  body: string;
  integratedTime: number;
  logID: string; // hex
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
  };
}

const hexToB64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");

/** The bundle form of a Rekor v1 log entry as the API returns it. */
export function tlogEntryFromRekorV1(entry: RekorV1Entry): TlogEntryJson {
  const body = JSON.parse(Buffer.from(entry.body, "base64").toString("utf8")) as { kind?: string; apiVersion?: string };
  const proof = entry.verification?.inclusionProof;
  const set = entry.verification?.signedEntryTimestamp;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: hexToB64(entry.logID) },
    kindVersion: { kind: body.kind ?? "dsse", version: body.apiVersion ?? "0.0.1" },
    integratedTime: String(entry.integratedTime),
    ...(set !== undefined ? { inclusionPromise: { signedEntryTimestamp: set } } : {}),
    ...(proof !== undefined
      ? {
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: hexToB64(proof.rootHash),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map(hexToB64),
            checkpoint: { envelope: proof.checkpoint },
          },
        }
      : {}),
    canonicalizedBody: entry.body,
  };
}

/** Rekor v1 entry kinds for a DSSE envelope: dsse/0.0.1 (the default), or intoto/0.0.2 (what sigstore-js logs with legacyCompatibility, as npm provenance does). */
export type RekorV1DsseKind = "dsse" | "intoto";

export function httpRekorV1Uploader(url: string, fetchImpl: typeof fetch = fetch, kind: RekorV1DsseKind = "dsse"): TlogUploader {
  return async (content, verifier) => {
    const endpoint = `${url.replace(/\/+$/, "")}/api/v1/log/entries`;
    let res: Response;
    try {
      res = await fetchImpl(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(rekorV1ProposedEntry(content, verifier, kind)),
      });
    } catch (e) {
      throw new AgentGateError("REKOR_UNREACHABLE", `transparency log ${endpoint} did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
    }
    if (res.status !== 201 && res.status !== 200) throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered HTTP ${res.status}`, "transient");
    const answer = (await res.json()) as Record<string, RekorV1Entry>;
    const entry = Object.values(answer)[0];
    if (entry === undefined) throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered with no entry`, "transient");
    return tlogEntryFromRekorV1(entry);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Keyless: the workflow's OIDC token (audience "sigstore") -> a Fulcio certificate for an ephemeral key -> sign,
// log in Rekor v1, timestamp. The private key never leaves this process and is dropped after one signature.

export const PUBLIC_GOOD = {
  fulcio: "https://fulcio.sigstore.dev",
  rekor: "https://rekor.sigstore.dev",
} as const;

/** The Actions OIDC token for Sigstore; NO_OIDC_PERMISSION when the job lacks `id-token: write`. */
export async function actionsIdToken(env: Readonly<Record<string, string | undefined>>, fetchImpl: typeof fetch = fetch): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url === undefined || token === undefined || url.length === 0 || token.length === 0) {
    throw new AgentGateError(
      "NO_OIDC_PERMISSION",
      "no OIDC permission: add `permissions: id-token: write` to the signing job (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set), or sign with --key",
    );
  }
  const u = new URL(url);
  u.searchParams.set("audience", "sigstore");
  const res = await fetchImpl(u, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } }).catch((e: unknown) => {
    throw new AgentGateError("OIDC_UNREACHABLE", `the Actions OIDC endpoint did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
  });
  if (!res.ok) throw new AgentGateError("OIDC_FAILED", `the Actions OIDC endpoint answered HTTP ${res.status}`, "transient");
  const { value } = (await res.json()) as { value?: unknown };
  if (typeof value !== "string" || value.split(".").length !== 3) throw new AgentGateError("OIDC_FAILED", "the Actions OIDC endpoint answered without a token");
  return value;
}

function jwtSubject(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown; email?: unknown };
    const sub = typeof claims.email === "string" ? claims.email : claims.sub;
    if (typeof sub === "string" && sub.length > 0) return sub;
  } catch {
    // fall through
  }
  throw new AgentGateError("OIDC_FAILED", "the OIDC token has no subject claim");
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, ""), "base64");
}

/** Fulcio v2 `signingCert`: the certificate chain (leaf first, DER) for `signer`'s public key. */
export async function fulcioCertificate(fulcioUrl: string, idToken: string, signer: Signer, fetchImpl: typeof fetch = fetch): Promise<Buffer[]> {
  const endpoint = `${fulcioUrl.replace(/\/+$/, "")}/api/v2/signingCert`;
  const proof = signer.sign(Buffer.from(jwtSubject(idToken), "utf8")).toString("base64");
  const res = await fetchImpl(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: idToken },
      publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: signer.publicKeyPem }, proofOfPossession: proof },
    }),
  }).catch((e: unknown) => {
    throw new AgentGateError("FULCIO_UNREACHABLE", `Fulcio ${endpoint} did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
  });
  if (!res.ok) throw new AgentGateError("FULCIO_FAILED", `Fulcio ${endpoint} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`, "transient");
  type Chain = { chain?: { certificates?: string[] } };
  const answer = (await res.json()) as { signedCertificateEmbeddedSct?: Chain; signedCertificateDetachedSct?: Chain };
  const pems = (answer.signedCertificateEmbeddedSct ?? answer.signedCertificateDetachedSct)?.chain?.certificates ?? [];
  if (pems.length === 0) throw new AgentGateError("FULCIO_FAILED", `Fulcio ${endpoint} answered without a certificate chain`);
  const chain = pems.map(pemToDer);
  checkLeafKey(endpoint, chain[0] as Buffer, signer.publicKeyPem);
  return chain;
}

/** Fulcio certified the key that signs, not another one: a bundle with someone else's certificate never verifies. */
export function checkLeafKey(endpoint: string, leafDer: Buffer, publicKeyPem: string): void {
  let certified: Buffer;
  try {
    certified = new X509Certificate(leafDer).publicKey.export({ type: "spki", format: "der" });
  } catch (e) {
    throw new AgentGateError("FULCIO_FAILED", `Fulcio ${endpoint} answered with a leaf that is not an X.509 certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const ours = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  if (!certified.equals(ours)) throw new AgentGateError("FULCIO_FAILED", `Fulcio ${endpoint} certified another public key than the one it was asked to certify`);
}

export interface KeylessOptions {
  readonly idToken: string;
  readonly fulcioUrl?: string; // default: public-good
  readonly rekorUrl?: string; // default: public-good
  readonly rekorVersion?: 1 | 2; // default 1; a Rekor v2 entry carries no signed time, so v2 needs tsaUrl
  readonly rekorV1Kind?: RekorV1DsseKind; // default dsse
  readonly tsaUrl?: string; // default: none (the Rekor v1 SET is the signed time)
  readonly fetch?: typeof fetch;
}

/** Signs `statement` keyless: an ephemeral P-256 key certified by Fulcio for the OIDC identity. */
export async function signKeyless(statement: AgentGateStatement, opts: KeylessOptions): Promise<Attestation> {
  const f = opts.fetch ?? fetch;
  if (opts.rekorVersion === 2 && opts.tsaUrl === undefined) {
    throw new AgentGateError("TSA_REQUIRED", "a Rekor v2 entry carries no signed time: give --tsa-url with --rekor-version 2");
  }
  const { generateKeyPairSync, sign } = await import("node:crypto");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer: Signer = { publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(), sign: (data) => sign("sha256", data, privateKey) };
  const chain = await fulcioCertificate(opts.fulcioUrl ?? PUBLIC_GOOD.fulcio, opts.idToken, signer, f);
  return signStatement(statement, {
    signer,
    key: { kind: "certificate", chain },
    tlog: opts.rekorVersion === 2 ? httpRekorV2Uploader(opts.rekorUrl ?? PUBLIC_GOOD.rekor, f) : httpRekorV1Uploader(opts.rekorUrl ?? PUBLIC_GOOD.rekor, f, opts.rekorV1Kind),
    ...(opts.tsaUrl !== undefined ? { timestamper: httpTimestamper(opts.tsaUrl, f) } : {}),
  });
}

/**
 * Rekor v2 (rekor-tiles): POST {url}/api/v2/log/entries with a hashedRekordRequestV002 over the DSSE envelope's PAE
 * (Rekor v2 has no DSSE entry type); the answer is the bundle's entry.
 */
export function httpRekorV2Uploader(url: string, fetchImpl: typeof fetch = fetch): TlogUploader {
  return async (content, verifier) => {
    const endpoint = `${url.replace(/\/+$/, "")}/api/v2/log/entries`;
    const res = await fetchImpl(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(rekorV2EntryRequest(content, verifier)),
    }).catch((e: unknown) => {
      throw new AgentGateError("REKOR_UNREACHABLE", `transparency log ${endpoint} did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
    });
    if (res.status !== 201 && res.status !== 200) throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered HTTP ${res.status}`, "transient");
    const entry = (await res.json()) as TlogEntryJson;
    if (typeof entry.canonicalizedBody !== "string" || entry.inclusionProof === undefined) {
      throw new AgentGateError("REKOR_FAILED", `transparency log ${endpoint} answered without an entry and its inclusion proof`, "transient");
    }
    return entry;
  };
}
