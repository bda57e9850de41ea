// A Fulcio-like certificate authority: root and intermediate, issuing short-lived code-signing leaves with
// Fulcio's OIDC extensions and an embedded SCT from the fake CT log.
import { Buffer } from "node:buffer";
import { webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509 needs the Reflect metadata polyfill before it loads
import * as x509 from "@peculiar/x509";
import { X509Certificate as CoreCertificate } from "@sigstore/core";
import { derOctetString, derUtf8String, toArrayBuffer } from "./der.js";
import { ecKeyPair, publicCryptoKey } from "./keys.js";
import type { TestKeyPair } from "./keys.js";
import { sctList } from "./ct-log.js";
import type { CtLog } from "./ct-log.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ECDSA_SHA384 = { name: "ECDSA", hash: "SHA-384" };
const OID_SCT_LIST = "1.3.6.1.4.1.11129.2.4.2";
const FULCIO = "1.3.6.1.4.1.57264.1";
const DAY = 86_400_000;

/** Fulcio's extensions by name; values are DER UTF8String except the legacy ones (raw bytes). */
export const FULCIO_OIDS = {
  issuerV1: `${FULCIO}.1`,
  githubWorkflowTrigger: `${FULCIO}.2`,
  githubWorkflowSha: `${FULCIO}.3`,
  githubWorkflowName: `${FULCIO}.4`,
  githubWorkflowRepository: `${FULCIO}.5`,
  githubWorkflowRef: `${FULCIO}.6`,
  issuer: `${FULCIO}.8`,
  buildSignerURI: `${FULCIO}.9`,
  buildSignerDigest: `${FULCIO}.10`,
  runnerEnvironment: `${FULCIO}.11`,
  sourceRepositoryURI: `${FULCIO}.12`,
  sourceRepositoryDigest: `${FULCIO}.13`,
  sourceRepositoryRef: `${FULCIO}.14`,
  sourceRepositoryIdentifier: `${FULCIO}.15`,
  sourceRepositoryOwnerURI: `${FULCIO}.16`,
  sourceRepositoryOwnerIdentifier: `${FULCIO}.17`,
  buildConfigURI: `${FULCIO}.18`,
  buildConfigDigest: `${FULCIO}.19`,
  buildTrigger: `${FULCIO}.20`,
  runInvocationURI: `${FULCIO}.21`,
  sourceRepositoryVisibilityAtSigning: `${FULCIO}.22`,
} as const;
export type FulcioExtensionName = keyof typeof FULCIO_OIDS;
const LEGACY: ReadonlySet<FulcioExtensionName> = new Set(["issuerV1", "githubWorkflowTrigger", "githubWorkflowSha", "githubWorkflowName", "githubWorkflowRepository", "githubWorkflowRef"]);

export interface CaCert {
  readonly der: Buffer;
  readonly key: TestKeyPair;
  readonly subject: string;
}

export interface LeafRequest {
  readonly publicKeySpki: Uint8Array; // the ephemeral P-256 key
  readonly san: { uri: string } | { email: string };
  readonly issuer?: string; // OIDC issuer, written to .1.8 (and .1.1 unless legacyIssuer says otherwise)
  readonly legacyIssuer?: string | false; // value for .1.1; false leaves it out; default: same as issuer
  readonly extensions?: Partial<Record<FulcioExtensionName, string>>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly withSct?: boolean; // default true
}

export interface FulcioCa {
  readonly root: CaCert;
  readonly intermediate: CaCert;
  readonly ctLog: CtLog | undefined;
  readonly uri: string;
  /** Chain as bundles carry it: leaf, intermediate, root. */
  issue(req: LeafRequest): Promise<Buffer[]>;
}

export async function selfSignedCa(subject: string, notBefore: Date, notAfter: Date): Promise<CaCert> {
  const key = await ecKeyPair("P-384");
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA_SHA384,
    keys: key.crypto,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.crypto.publicKey),
    ],
  });
  return { der: Buffer.from(cert.rawData), key, subject };
}

export async function subordinateCa(subject: string, parent: CaCert, notBefore: Date, notAfter: Date, eku?: string): Promise<CaCert> {
  const key = await ecKeyPair("P-384");
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(key.crypto.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(parent.key.crypto.publicKey),
  ];
  if (eku !== undefined) extensions.push(new x509.ExtendedKeyUsageExtension([eku]));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: parent.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA_SHA384,
    publicKey: key.crypto.publicKey,
    signingKey: parent.key.crypto.privateKey,
    extensions,
  });
  return { der: Buffer.from(cert.rawData), key, subject };
}

export async function createFulcio(opts: { ctLog?: CtLog; now?: Date; name?: string } = {}): Promise<FulcioCa> {
  const now = opts.now ?? new Date();
  const name = opts.name ?? "agent-gate.test";
  const root = await selfSignedCa(`CN=sigstore,O=${name}`, new Date(now.getTime() - 365 * DAY), new Date(now.getTime() + 3650 * DAY));
  const intermediate = await subordinateCa(`CN=sigstore-intermediate,O=${name}`, root, new Date(now.getTime() - 364 * DAY), new Date(now.getTime() + 3650 * DAY), x509.ExtendedKeyUsage.codeSigning);
  return {
    root,
    intermediate,
    ctLog: opts.ctLog,
    uri: "https://fulcio.agent-gate.test",
    async issue(req) {
      const serialNumber = randomSerial();
      const base = await leafExtensions(req, intermediate);
      const publicKey = await publicCryptoKey(req.publicKeySpki);
      const build = (extensions: x509.Extension[]) =>
        x509.X509CertificateGenerator.create({
          serialNumber,
          subject: "",
          issuer: intermediate.subject,
          notBefore: req.notBefore,
          notAfter: req.notAfter,
          signingAlgorithm: ECDSA_SHA384,
          publicKey,
          signingKey: intermediate.key.crypto.privateKey,
          extensions,
        });
      let leaf = await build(base);
      if (opts.ctLog && req.withSct !== false) {
        // the SCT covers the TBS without the SCT extension; it is appended last so a verifier can strip it again
        const tbs = CoreCertificate.parse(Buffer.from(leaf.rawData)).tbsCertificate.toDER();
        const sct = opts.ctLog.sct(tbs, intermediate.key.spki, req.notBefore);
        leaf = await build([...base, new x509.Extension(OID_SCT_LIST, false, toArrayBuffer(derOctetString(sctList([sct]))))]);
      }
      return [Buffer.from(leaf.rawData), intermediate.der, root.der];
    },
  };
}

async function leafExtensions(req: LeafRequest, issuer: CaCert): Promise<x509.Extension[]> {
  const san = "uri" in req.san ? { type: "url" as const, value: req.san.uri } : { type: "email" as const, value: req.san.email };
  const exts: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
    await x509.SubjectKeyIdentifierExtension.create(await publicCryptoKey(req.publicKeySpki)),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.key.crypto.publicKey),
    new x509.SubjectAlternativeNameExtension([san], true),
  ];
  const values: Partial<Record<FulcioExtensionName, string>> = { ...req.extensions };
  if (req.issuer !== undefined) values.issuer = req.issuer;
  const legacy = req.legacyIssuer === undefined ? req.issuer : req.legacyIssuer;
  if (legacy !== false && legacy !== undefined) values.issuerV1 = legacy;
  for (const [name, value] of Object.entries(values) as [FulcioExtensionName, string][]) {
    const raw = LEGACY.has(name) ? Buffer.from(value, "utf8") : derUtf8String(value);
    exts.push(new x509.Extension(FULCIO_OIDS[name], false, toArrayBuffer(raw)));
  }
  return exts;
}

function randomSerial(): string {
  // positive, 16 bytes
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return Buffer.from(bytes).toString("hex");
}
