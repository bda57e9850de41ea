// An RFC 3161 timestamp authority over HTTP on 127.0.0.1, signing with the test Sigstore's TSA keys: it stamps the
// message imprint of the request (whatever digest the client sends), echoes the nonce and includes the signing
// chain when asked, as Sigstore's timestamp-authority does. For cosign (`--signing-config` with a TSA) and for
// `agent-gate attest --tsa-url`.
import { Buffer } from "node:buffer";
import { createHash, webcrypto } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { Tsa } from "../support/sigstore/tsa.js";

const OID_TSTINFO = "1.2.840.113549.1.9.16.1.4";
const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME = "1.2.840.113549.1.9.5";
const OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47";

const engine = new pkijs.CryptoEngine({ name: "node", crypto: webcrypto });
const ab = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

export interface MockTsa {
  readonly url: string; // .../api/v1/timestamp
  readonly requests: number;
  close(): Promise<void>;
}

export async function respond(tsa: Tsa, reqDer: Uint8Array, at: Date, serial: number): Promise<Buffer> {
  const req = pkijs.TimeStampReq.fromBER(ab(reqDer));
  const tstInfo = new pkijs.TSTInfo({
    version: 1,
    policy: "1.3.6.1.4.1.57264.2",
    messageImprint: req.messageImprint,
    serialNumber: new asn1js.Integer({ value: serial }),
    genTime: at,
    accuracy: new pkijs.Accuracy({ seconds: 1 }),
    ...(req.nonce ? { nonce: req.nonce } : {}),
  });
  const tstDer = tstInfo.toSchema().toBER(false);
  const encap = new pkijs.EncapsulatedContentInfo({ eContentType: OID_TSTINFO });
  encap.eContent = new asn1js.OctetString({ valueHex: tstDer });
  const leafCert = pkijs.Certificate.fromBER(ab(tsa.leafDer));
  const signingCert = new asn1js.Sequence({
    value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: ab(sha256(tsa.leafDer)) })] })] })],
  });
  const signedData = new pkijs.SignedData({
    version: 3,
    encapContentInfo: encap,
    ...(req.certReq === true ? { certificates: tsa.chain.map((c) => pkijs.Certificate.fromBER(ab(c))) } : {}),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: leafCert.issuer, serialNumber: leafCert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID_CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: OID_TSTINFO })] }),
            new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: at })] }),
            new pkijs.Attribute({ type: OID_MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: ab(sha256(Buffer.from(tstDer))) })] }),
            new pkijs.Attribute({ type: OID_SIGNING_CERT_V2, values: [signingCert] }),
          ],
        }),
      }),
    ],
  });
  await signedData.sign(tsa.leafKey.crypto.privateKey, 0, "SHA-256", undefined, engine);
  const resp = new pkijs.TimeStampResp({
    status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
    timeStampToken: new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: signedData.toSchema(true) }),
  });
  return Buffer.from(resp.toSchema().toBER(false));
}

export async function startMockTsa(tsa: Tsa, at: () => Date = () => new Date(Math.floor(Date.now() / 1000) * 1000)): Promise<MockTsa> {
  let serial = 1;
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      if (req.method !== "POST" || !(req.url ?? "").startsWith("/api/v1/timestamp")) {
        res.writeHead(404).end();
        return;
      }
      respond(tsa, Buffer.concat(chunks), at(), serial++).then(
        (der) => res.writeHead(200, { "content-type": "application/timestamp-reply" }).end(der),
        (e: unknown) => res.writeHead(400, { "content-type": "text/plain" }).end(String(e)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/timestamp`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
