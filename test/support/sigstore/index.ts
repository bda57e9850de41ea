// A whole Sigstore of our own, offline: Fulcio-like CA + CT log, Rekor v1 and v2, a TSA, and its trusted root;
// signs messages and DSSE in-toto statements (keyless or with a key) into bundles the verifiers can check.
import type { Buffer } from "node:buffer";
import { generateKeyPairSync, sign } from "node:crypto";
import { assembleBundle } from "./bundle.js";
import type { BundleJson, BundleVersion, TlogEntryJson } from "./bundle.js";
import { signDsse, signMessage } from "./content.js";
import type { SignedContent } from "./content.js";
import { IN_TOTO_PAYLOAD_TYPE, inTotoStatement } from "./dsse.js";
import type { StatementInput } from "./dsse.js";
import { createKeySigner, generateSigningKey } from "../../../src/adapters/sigstore/signing/key-signer.js";
import type { KeySigner, Signer } from "../../../src/adapters/sigstore/signing/key-signer.js";
import { rekorV1ProposedEntry, rekorV2EntryRequest, rekorV2Request } from "./rekor-requests.js";
import type { LogVerifier } from "./rekor-requests.js";
import { createCtLog } from "./ct-log.js";
import type { CtLog } from "./ct-log.js";
import { createFulcio } from "./fulcio.js";
import type { FulcioCa, FulcioExtensionName } from "./fulcio.js";
import { FakeRekorV1, FakeRekorV2 } from "./rekor.js";
import { createTsa } from "./tsa.js";
import type { Tsa } from "./tsa.js";
import { TRUSTED_ROOT_V01, TRUSTED_ROOT_V02, certAuthority, tlogInstance } from "./trusted-root.js";
import type { TrustedRootJson } from "./trusted-root.js";

export type { TrustedRootJson } from "./trusted-root.js";
export type { BundleJson } from "./bundle.js";

const DAY = 86_400_000;
const MINUTE = 60_000;

export interface TestSigstoreOptions {
  readonly now?: Date; // the signing time of every bundle unless a bundle says otherwise
  readonly name?: string; // organisation in the CA names, so two worlds are told apart
  readonly rekorV2KeyType?: "ed25519" | "ecdsa";
  readonly checkpointKeyIds?: boolean; // trusted root v0.2 with checkpointKeyId set on every log
}

export interface KeylessIdentity {
  readonly kind: "keyless";
  readonly san?: { uri: string } | { email: string }; // default: the agent workflow below
  readonly issuer?: string; // default: the GitHub Actions issuer
  readonly legacyIssuer?: string | false;
  readonly extensions?: Partial<Record<FulcioExtensionName, string>>;
  readonly notBefore?: Date; // default: signedAt - 1 minute
  readonly notAfter?: Date; // default: notBefore + 10 minutes (Fulcio's lifetime)
  readonly withSct?: boolean;
}

export type SignWith = KeylessIdentity | { readonly kind: "key"; readonly signer: KeySigner };

export type Payload =
  | { readonly kind: "message"; readonly artifact: Uint8Array }
  | { readonly kind: "dsse"; readonly statement: StatementInput }
  | { readonly kind: "dsse-raw"; readonly payloadType: string; readonly payload: Uint8Array };

export interface SignRequest {
  readonly payload: Payload;
  readonly signWith?: SignWith; // default: keyless with the default identity
  readonly rekor?: "v1" | "v2" | "none"; // default v1
  readonly dsseKindV1?: "dsse" | "intoto";
  // "dsse" (default) logs DSSE as dsse/0.0.2, as rekor-tiles first defined it (older bundles carry it); "hashedrekord-pae"
  // logs sha256(PAE) as hashedrekord/0.0.2, the only form Rekor v2 accepts now (rekor-tiles v2.3.0 refuses DSSE
  // requests) and what sigstore-go (cosign v3) and `agent-gate attest` send
  readonly rekorV2Dsse?: "dsse" | "hashedrekord-pae";
  readonly tsa?: boolean; // default: true with Rekor v2 or no log, false with Rekor v1
  readonly version?: BundleVersion; // default 0.3
  readonly signedAt?: Date;
}

export interface SignedBundle {
  readonly bundle: BundleJson;
  readonly content: SignedContent;
  readonly chain?: readonly Buffer[]; // leaf, intermediate, root
  readonly publicKeyPem: string;
}

export const DEFAULT_IDENTITY = "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main";
export const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

export interface TestSigstore {
  readonly now: Date;
  readonly fulcio: FulcioCa;
  readonly ctLog: CtLog;
  readonly rekorV1: FakeRekorV1;
  readonly rekorV2: FakeRekorV2;
  readonly tsa: Tsa;
  readonly trustedRoot: TrustedRootJson;
  sign(req: SignRequest): Promise<SignedBundle>;
  newKeySigner(): KeySigner;
}

export async function createTestSigstore(opts: TestSigstoreOptions = {}): Promise<TestSigstore> {
  const now = opts.now ?? new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
  const name = opts.name ?? "agent-gate.test";
  const ctLog = await createCtLog();
  const fulcio = await createFulcio({ ctLog, now, name });
  const rekorV1 = new FakeRekorV1();
  const rekorV2 = new FakeRekorV2({ keyType: opts.rekorV2KeyType ?? "ed25519" });
  const tsa = await createTsa({ now, name });
  const start = new Date(now.getTime() - 365 * DAY);
  const withIds = { checkpointKeyId: opts.checkpointKeyIds === true };
  const trustedRoot: TrustedRootJson = {
    mediaType: opts.checkpointKeyIds === true ? TRUSTED_ROOT_V02 : TRUSTED_ROOT_V01,
    tlogs: [tlogInstance(rekorV1, start, withIds), tlogInstance(rekorV2, start, withIds)],
    certificateAuthorities: [certAuthority("sigstore", name, fulcio.uri, [fulcio.intermediate.der, fulcio.root.der], start)],
    ctlogs: [tlogInstance(ctLog, start)],
    timestampAuthorities: [certAuthority("tsa", name, tsa.uri, tsa.chain, start)],
  };

  async function sign(req: SignRequest): Promise<SignedBundle> {
    const signedAt = req.signedAt ?? now;
    const how = req.signWith ?? { kind: "keyless" };
    const { signer, chain, verifier } = how.kind === "key" ? keyMaterial(how.signer) : await keylessMaterial(fulcio, how, signedAt);
    const content = signPayload(signer, req.payload);
    const rekor = req.rekor ?? "v1";
    const tlogEntries: TlogEntryJson[] = [];
    if (rekor === "v1") tlogEntries.push(rekorV1.log(rekorV1ProposedEntry(content, verifier, req.dsseKindV1 ?? "dsse"), signedAt));
    if (rekor === "v2") tlogEntries.push(rekorV2.log(req.rekorV2Dsse === "hashedrekord-pae" ? rekorV2EntryRequest(content, verifier) : rekorV2Request(content, verifier)));
    const wantTsa = req.tsa ?? rekor !== "v1";
    const rfc3161Timestamps = wantTsa ? [await tsa.timestamp(content.signature, signedAt)] : [];
    const key = how.kind === "key" ? { kind: "key" as const, hint: how.signer.keyHint } : { kind: "certificate" as const, chain: chain ?? [] };
    const bundle = assembleBundle({ version: req.version ?? "0.3", content, key, tlogEntries, rfc3161Timestamps });
    return { bundle, content, chain, publicKeyPem: signer.publicKeyPem };
  }

  return { now, fulcio, ctLog, rekorV1, rekorV2, tsa, trustedRoot, sign, newKeySigner: () => createKeySigner(generateSigningKey().privateKeyPem) };
}

function keyMaterial(signer: KeySigner): { signer: Signer; chain?: Buffer[]; verifier: LogVerifier } {
  return { signer, verifier: { kind: "key", publicKeyPem: signer.publicKeyPem } };
}

async function keylessMaterial(fulcio: FulcioCa, id: KeylessIdentity, signedAt: Date): Promise<{ signer: Signer; chain: Buffer[]; verifier: LogVerifier }> {
  // the ephemeral key lives only as long as this bundle, as with Fulcio
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const notBefore = id.notBefore ?? new Date(signedAt.getTime() - MINUTE);
  const chain = await fulcio.issue({
    publicKeySpki: publicKey.export({ format: "der", type: "spki" }),
    san: id.san ?? { uri: DEFAULT_IDENTITY },
    issuer: id.issuer ?? DEFAULT_ISSUER,
    legacyIssuer: id.legacyIssuer,
    extensions: id.extensions ?? {
      sourceRepositoryURI: "https://github.com/acme/widgets",
      sourceRepositoryRef: "refs/heads/main",
      buildSignerURI: DEFAULT_IDENTITY,
      githubWorkflowRef: "refs/heads/main",
    },
    notBefore,
    notAfter: id.notAfter ?? new Date(notBefore.getTime() + 10 * MINUTE),
    withSct: id.withSct,
  });
  const signer: Signer = { publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(), sign: (data) => sign("sha256", data, privateKey) };
  return { signer, chain, verifier: { kind: "certificate", der: chain[0] as Buffer } };
}

function signPayload(signer: Signer, payload: Payload): SignedContent {
  switch (payload.kind) {
    case "message":
      return signMessage(signer, payload.artifact);
    case "dsse":
      return signDsse(signer, IN_TOTO_PAYLOAD_TYPE, inTotoStatement(payload.statement));
    case "dsse-raw":
      return signDsse(signer, payload.payloadType, payload.payload);
  }
}
