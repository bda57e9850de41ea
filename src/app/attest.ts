// `agent-gate attest`, the library half: builds the agent-gate provenance statement, refuses secret-bearing
// inputs, signs it as a DSSE in-toto envelope and assembles a Sigstore bundle (v0.3) that the PR gate reads.
// @sigstore/sign does the DSSE envelope, the bundle, the Fulcio certificate request and the Rekor v1 upload; this file
// adds what it lacks (see signing/witnesses.ts for the TSA and Rekor v2) and checks what Fulcio answers.
// Files and git are the CLI's; tests run everything here against services on 127.0.0.1.
import { Buffer } from "node:buffer";
import { X509Certificate, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { bundleToJSON } from "@sigstore/bundle";
import type { SerializedBundle } from "@sigstore/bundle";
import { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, DSSEBundleBuilder, FulcioSigner, InternalError } from "@sigstore/sign";
import type { Signature, Signer as BundleSigner, Witness } from "@sigstore/sign";
import { AgentGateError } from "../core/errors.js";
import { ANSWER_DEADLINE_MS, readJsonAtMost } from "../adapters/bounded-read.js";
import { fetchWithTimeout } from "../adapters/github/http.js";
import { AgentGateStatement, buildAgentStatement, sha256Hex } from "../core/provenance.js";
import type { AgentStatementInput } from "../core/provenance.js";
import { scanSecrets } from "../core/secrets.js";
import { renderProvenanceBlock } from "../core/provenance-block.js";
import { IN_TOTO_PAYLOAD_TYPE } from "../adapters/sigstore/intoto.js";
import { httpRekorV1Uploader, httpRekorV2Uploader, httpTimestamper, keyHintOf, serviceError } from "../adapters/sigstore/signing/index.js";
import type { RekorV1DsseKind, Signer } from "../adapters/sigstore/signing/index.js";

export { checkTimestampAnswer, httpRekorV1Uploader, httpRekorV2Uploader, httpTimestamper, requestTimestamp } from "../adapters/sigstore/signing/index.js";

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

/** Who signed, as the bundle says: a key the verifier knows by hint, or a Fulcio certificate chain (leaf first, DER). */
export type VerificationKey = { readonly kind: "key"; readonly hint: string } | { readonly kind: "certificate"; readonly chain: readonly Uint8Array[] };

export interface SignOptions {
  readonly signer: Signer & { readonly keyHint?: string };
  /** Who signed, as the bundle says: default the signer's key by its hint; keyless: the Fulcio chain (leaf first). */
  readonly key?: VerificationKey;
  /** An RFC 3161 timestamp over the signature (httpTimestamper). */
  readonly timestamper?: Witness;
  /** A transparency log entry (httpRekorV1Uploader, httpRekorV2Uploader). */
  readonly tlog?: Witness;
}

export interface Attestation {
  readonly statement: AgentGateStatement;
  readonly bundle: SerializedBundle;
  readonly bundleJson: string;
  readonly block: string; // the PR-body provenance block
}

/** Signs `statement` with a key: a DSSE in-toto envelope, timestamped and logged when those are configured. */
export async function signStatement(statement: AgentGateStatement, opts: SignOptions): Promise<Attestation> {
  // no hint here: @sigstore/sign would copy it into the envelope's keyid too, and cosign --key then finds no signature
  // it may check ("Found: 0, Expected 1"); the bundle names the key by hint in its verification material alone
  const material: Signature["key"] =
    opts.key?.kind === "certificate"
      ? { $case: "x509Certificate", certificate: new X509Certificate(opts.key.chain[0] ?? new Uint8Array()).toString() }
      : { $case: "publicKey", publicKey: opts.signer.publicKeyPem };
  const signer: BundleSigner = { sign: (data) => Promise.resolve({ signature: opts.signer.sign(data), key: material }) };
  const hint = opts.key?.kind === "certificate" ? undefined : (opts.key?.hint ?? opts.signer.keyHint ?? keyHintOf(opts.signer.publicKeyPem));
  return build(statement, signer, [opts.timestamper, opts.tlog], hint);
}

async function build(statement: AgentGateStatement, signer: BundleSigner, witnesses: readonly (Witness | undefined)[], keyHint?: string): Promise<Attestation> {
  // the witnesses (TSA, log) run side by side once the envelope is signed
  const builder = new DSSEBundleBuilder({ signer, witnesses: witnesses.filter((w) => w !== undefined) });
  const signed = await builder.create({ data: Buffer.from(JSON.stringify(statement), "utf8"), type: IN_TOTO_PAYLOAD_TYPE });
  const material = signed.verificationMaterial.content;
  if (keyHint !== undefined && material.$case === "publicKey") material.publicKey.hint = keyHint;
  const bundle = bundleToJSON(signed);
  const bundleJson = JSON.stringify(bundle);
  return { statement, bundle, bundleJson, block: renderProvenanceBlock(bundleJson) };
}

// ---------------------------------------------------------------------------------------------------------------
// Keyless: the workflow's OIDC token (audience "sigstore") -> a Fulcio certificate for an ephemeral key -> sign,
// log, timestamp. The private key never leaves this process and is dropped after one signature.

export const PUBLIC_GOOD = { fulcio: DEFAULT_FULCIO_URL, rekor: DEFAULT_REKOR_URL } as const;

const OIDC_ANSWER_MAX_BYTES = 64 * 1024;

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
  // a deadline passed (fetchWithTimeout: the message names the request and the deadline) or the network failed
  const unreachable = (e: unknown): AgentGateError => new AgentGateError("OIDC_UNREACHABLE", `the Actions OIDC endpoint did not answer: ${e instanceof Error ? e.message : String(e)}`, "transient");
  const res = await fetchWithTimeout(ANSWER_DEADLINE_MS, fetchImpl)(u, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } }).catch((e: unknown) => {
    throw unreachable(e);
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new AgentGateError("OIDC_FAILED", `the Actions OIDC endpoint answered HTTP ${res.status}`, "transient");
  }
  // A token answer is a few KiB: {"value": "<JWT>"}.
  const read = await readJsonAtMost(res, OIDC_ANSWER_MAX_BYTES).catch((e: unknown) => {
    throw unreachable(e);
  });
  if ("problem" in read) throw new AgentGateError("OIDC_FAILED", `the Actions OIDC endpoint answered ${read.problem}; expected {"value": "<token>"}`);
  const { value } = (read.value !== null && typeof read.value === "object" ? read.value : {}) as { value?: unknown };
  if (typeof value !== "string" || value.split(".").length !== 3) throw new AgentGateError("OIDC_FAILED", "the Actions OIDC endpoint answered without a token");
  return value;
}

/**
 * @sigstore/sign's FulcioSigner (the signingCert request with a proof of possession) over `keyHolder`, plus the check
 * it skips: Fulcio certified the key that signs. Its errors become FULCIO_* codes that never quote the token.
 */
export function fulcioSigner(fulcioUrl: string, idToken: string, keyHolder: Signer): BundleSigner {
  const endpoint = `${fulcioUrl.replace(/\/+$/, "")}/api/v2/signingCert`;
  const holder: BundleSigner = { sign: (data) => Promise.resolve({ signature: keyHolder.sign(data), key: { $case: "publicKey", publicKey: keyHolder.publicKeyPem } }) };
  const fulcio = new FulcioSigner({ fulcioBaseURL: fulcioUrl.replace(/\/+$/, ""), identityProvider: { getToken: () => Promise.resolve(idToken) }, keyHolder: holder, timeout: ANSWER_DEADLINE_MS });
  return {
    sign: async (data) => {
      const signature = await fulcio.sign(data).catch((e: unknown) => {
        // the library's message for a token it cannot read quotes the token: say what is wrong without it
        if (e instanceof InternalError && e.code === "IDENTITY_TOKEN_PARSE_ERROR") throw new AgentGateError("OIDC_FAILED", "the OIDC token has no subject claim");
        throw serviceError(e, `Fulcio ${endpoint}`, "FULCIO_UNREACHABLE", "FULCIO_FAILED");
      });
      if (signature.key.$case !== "x509Certificate") throw new AgentGateError("FULCIO_FAILED", `Fulcio ${endpoint} answered without a certificate`);
      checkLeafKey(endpoint, signature.key.certificate, keyHolder.publicKeyPem);
      return signature;
    },
  };
}

/** Fulcio certified the key that signs, not another one: a bundle with someone else's certificate never verifies. */
export function checkLeafKey(endpoint: string, leaf: Uint8Array | string, publicKeyPem: string): void {
  let certified: Buffer;
  try {
    certified = new X509Certificate(leaf).publicKey.export({ type: "spki", format: "der" });
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
  /** For the requests agent-gate makes itself (TSA, Rekor v2); Fulcio and Rekor v1 go through @sigstore/sign's client. */
  readonly fetch?: typeof fetch;
}

/** Signs `statement` keyless: an ephemeral P-256 key certified by Fulcio for the OIDC identity. */
export async function signKeyless(statement: AgentGateStatement, opts: KeylessOptions): Promise<Attestation> {
  const f = opts.fetch ?? fetch;
  if (opts.rekorVersion === 2 && opts.tsaUrl === undefined) {
    throw new AgentGateError("TSA_REQUIRED", "a Rekor v2 entry carries no signed time: give --tsa-url with --rekor-version 2");
  }
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ephemeral: Signer = { publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(), sign: (data) => sign("sha256", data, privateKey) };
  const rekorUrl = opts.rekorUrl ?? PUBLIC_GOOD.rekor;
  return build(statement, fulcioSigner(opts.fulcioUrl ?? PUBLIC_GOOD.fulcio, opts.idToken, ephemeral), [
    opts.tsaUrl !== undefined ? httpTimestamper(opts.tsaUrl, f) : undefined,
    opts.rekorVersion === 2 ? httpRekorV2Uploader(rekorUrl, f) : httpRekorV1Uploader(rekorUrl, f, opts.rekorV1Kind),
  ]);
}
