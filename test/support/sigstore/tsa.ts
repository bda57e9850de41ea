// A fake RFC 3161 timestamp authority (root, intermediate, signing leaf with the timeStamping EKU).
import { Buffer } from "node:buffer";
import { webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509 needs the Reflect metadata polyfill before it loads
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ecKeyPair, sha256 } from "./keys.js";
import type { TestKeyPair } from "./keys.js";
import { selfSignedCa, subordinateCa } from "./fulcio.js";
import type { CaCert } from "./fulcio.js";
import { toArrayBuffer } from "./der.js";

const OID_TSTINFO = "1.2.840.113549.1.9.16.1.4";
const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME = "1.2.840.113549.1.9.5";
const OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47";
const OID_SHA256 = "2.16.840.1.101.3.4.2.1";
const DAY = 86_400_000;

const engine = new pkijs.CryptoEngine({ name: "node", crypto: webcrypto });

export interface Tsa {
  readonly root: CaCert;
  readonly intermediate: CaCert;
  readonly leafDer: Buffer;
  readonly leafKey: TestKeyPair;
  readonly uri: string;
  /** Chain as the trusted root lists it: signing leaf first. */
  readonly chain: readonly Buffer[];
  /** A DER TimeStampResp whose message imprint is sha256(data), stamped at `at`. */
  timestamp(data: Uint8Array, at: Date): Promise<Buffer>;
  /** A DER TimeStampResp for a given imprint (as a client's request names it), echoing its nonce, with the chain when asked. */
  stamp(imprint: pkijs.MessageImprint, at: Date, opts?: { nonce?: asn1js.Integer; withChain?: boolean }): Promise<Buffer>;
}

export async function createTsa(opts: { now?: Date; name?: string; leafNotBefore?: Date; leafNotAfter?: Date } = {}): Promise<Tsa> {
  const now = opts.now ?? new Date();
  const name = opts.name ?? "agent-gate.test";
  const root = await selfSignedCa(`CN=tsa,O=${name}`, new Date(now.getTime() - 365 * DAY), new Date(now.getTime() + 3650 * DAY));
  const intermediate = await subordinateCa(`CN=tsa-intermediate,O=${name}`, root, new Date(now.getTime() - 364 * DAY), new Date(now.getTime() + 3650 * DAY));
  const leafKey = await ecKeyPair("P-256");
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "0a1b2c3d",
    subject: `CN=tsa signing,O=${name}`,
    issuer: intermediate.subject,
    notBefore: opts.leafNotBefore ?? new Date(now.getTime() - 363 * DAY),
    notAfter: opts.leafNotAfter ?? new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-384" },
    publicKey: leafKey.crypto.publicKey,
    signingKey: intermediate.key.crypto.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      await x509.SubjectKeyIdentifierExtension.create(leafKey.crypto.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(intermediate.key.crypto.publicKey),
    ],
  });
  const leafDer = Buffer.from(leaf.rawData);
  const leafCert = pkijs.Certificate.fromBER(leafDer);
  let serial = 1;
  const stamp: Tsa["stamp"] = async (imprint, at, opts = {}) => {
    const tstInfo = new pkijs.TSTInfo({
      version: 1,
      policy: "1.3.6.1.4.1.57264.2",
      messageImprint: imprint,
      serialNumber: new asn1js.Integer({ value: serial++ }),
      genTime: at,
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
    });
    const tstDer = tstInfo.toSchema().toBER(false);
    const encap = new pkijs.EncapsulatedContentInfo({ eContentType: OID_TSTINFO });
    // set eContent directly: the constructor would split it into chunks
    encap.eContent = new asn1js.OctetString({ valueHex: tstDer });
    const signingCert = new asn1js.Sequence({
      value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(leafDer)) })] })] })],
    });
    const signedData = new pkijs.SignedData({
      version: 3,
      encapContentInfo: encap,
      ...(opts.withChain === true ? { certificates: [leafDer, intermediate.der, root.der].map((c) => pkijs.Certificate.fromBER(toArrayBuffer(c))) } : {}),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: leafCert.issuer, serialNumber: leafCert.serialNumber }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              new pkijs.Attribute({ type: OID_CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: OID_TSTINFO })] }),
              new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: at })] }),
              new pkijs.Attribute({ type: OID_MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(Buffer.from(tstDer))) })] }),
              new pkijs.Attribute({ type: OID_SIGNING_CERT_V2, values: [signingCert] }),
            ],
          }),
        }),
      ],
    });
    await signedData.sign(leafKey.crypto.privateKey, 0, "SHA-256", undefined, engine);
    const resp = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
      timeStampToken: new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: signedData.toSchema(true) }),
    });
    return Buffer.from(resp.toSchema().toBER(false));
  };
  return {
    root,
    intermediate,
    leafDer,
    leafKey,
    uri: "https://tsa.agent-gate.test",
    chain: [leafDer, intermediate.der, root.der],
    timestamp(data, at) {
      const imprint = new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
        hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(data)) }),
      });
      return stamp(imprint, at, { nonce: new asn1js.Integer({ value: Math.floor(Math.random() * 2 ** 31) }) });
    },
    stamp,
  };
}
