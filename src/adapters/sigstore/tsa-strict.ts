// RFC 3161 tokens read strictly: the TSA signs only the TSTInfo and the signed attributes, so every other part of
// the token (outer tags, PKIStatus, SignedData version and digest algorithms, signer version and identifier tags,
// the signature algorithm) is held to the one shape a timestamp authority produces. Returns why not, or undefined.
// The token is read by der.ts's reader: canonical DER is checked in its one linear pass (no re-encoding to compare),
// and the TSTInfo must be one canonical DER element filling the eContent OCTET STRING.
import { readDer } from "./der.js";
import type { DerNode } from "./der.js";

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
};
const DIGESTS: Readonly<Record<string, string>> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
// signature algorithm -> the digest it implies ("any" for algorithms that name no digest)
const SIGNATURES: Readonly<Record<string, string>> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.113549.1.1.1": "any",
  "1.2.840.10045.2.1": "any",
  "1.3.101.112": "any",
};

class Bad extends Error {}
const expect = (ok: boolean, why: string): void => {
  if (!ok) throw new Bad(why);
};
const tag = (o: DerNode | undefined): number => o?.tagByte ?? -1;
function seq(o: DerNode | undefined, what: string, t = 0x30): DerNode[] {
  expect(tag(o) === t, `${what}: expected tag 0x${t.toString(16)}, got 0x${tag(o).toString(16)}`);
  return o!.subs;
}
function int(o: DerNode | undefined, what: string): bigint {
  expect(tag(o) === 0x02, `${what}: expected an INTEGER`);
  return o!.toInteger();
}
function oid(o: DerNode | undefined, what: string): string {
  expect(tag(o) === 0x06, `${what}: expected an OBJECT IDENTIFIER`);
  return o!.toOID();
}
// AlgorithmIdentifier: an OID and either no parameters or an empty NULL
function algorithm(o: DerNode | undefined, what: string): string {
  const [id, params, ...rest] = seq(o, what);
  expect(rest.length === 0, `${what}: unexpected fields`);
  if (params !== undefined) expect(tag(params) === 0x05 && params.value.length === 0, `${what}: parameters must be absent or NULL`);
  return oid(id, what);
}

export function checkTimestampToken(der: Buffer): string | undefined {
  try {
    const root = readDer(der, { openOctetStrings: true }).root;
    const [statusInfo, token, ...extra] = seq(root, "TimeStampResp");
    expect(extra.length === 0 && token !== undefined, "TimeStampResp: expected status and token");
    const [status] = seq(statusInfo, "PKIStatusInfo");
    expect(int(status, "PKIStatus") === 0n, "PKIStatus: expected granted (0)");
    const [contentType, content, ...more] = seq(token, "ContentInfo");
    expect(more.length === 0, "ContentInfo: unexpected fields");
    expect(oid(contentType, "ContentInfo.contentType") === OID.signedData, "ContentInfo: expected signedData");
    const [signedData, ...more2] = seq(content, "ContentInfo.content", 0xa0);
    expect(more2.length === 0, "ContentInfo.content: unexpected fields");
    const sd = seq(signedData, "SignedData");
    expect(int(sd[0], "SignedData.version") === 3n, "SignedData.version: expected 3");
    const digestAlgs = seq(sd[1], "SignedData.digestAlgorithms", 0x31).map((a) => algorithm(a, "SignedData.digestAlgorithms"));
    const [eType, eContent, ...more3] = seq(sd[2], "EncapsulatedContentInfo");
    expect(more3.length === 0 && oid(eType, "eContentType") === OID.tstInfo, "EncapsulatedContentInfo: expected TSTInfo");
    const [octets, ...more4] = seq(eContent, "eContent", 0xa0);
    expect(more4.length === 0 && tag(octets) === 0x04, "eContent: expected an OCTET STRING");
    const [tstInfo, ...more6] = octets!.subs;
    expect(tag(tstInfo) === 0x30 && more6.length === 0, "eContent: expected one TSTInfo SEQUENCE in canonical DER");
    let i = 3;
    if (tag(sd[i]) === 0xa0) i++; // certificates
    if (tag(sd[i]) === 0xa1) i++; // crls
    const signerInfos = seq(sd[i], "SignedData.signerInfos", 0x31);
    expect(i + 1 === sd.length, "SignedData: unexpected fields");
    expect(signerInfos.length === 1, `SignedData: expected one SignerInfo, got ${signerInfos.length}`);
    const si = seq(signerInfos[0], "SignerInfo");
    const version = int(si[0], "SignerInfo.version");
    if (version === 1n) {
      const [issuer, serial, ...more5] = seq(si[1], "IssuerAndSerialNumber");
      expect(more5.length === 0, "IssuerAndSerialNumber: unexpected fields");
      seq(issuer, "IssuerAndSerialNumber.issuer");
      int(serial, "IssuerAndSerialNumber.serialNumber");
    } else {
      expect(version === 3n && tag(si[1]) === 0x80, "SignerInfo: expected version 1 with IssuerAndSerialNumber or 3 with a key identifier");
    }
    const digest = DIGESTS[algorithm(si[2], "SignerInfo.digestAlgorithm")];
    expect(digest !== undefined, "SignerInfo.digestAlgorithm: expected SHA-256, SHA-384 or SHA-512");
    expect(digestAlgs.some((a) => DIGESTS[a] === digest), "SignedData.digestAlgorithms does not list the signer's digest algorithm");
    expect(tag(si[3]) === 0xa0, "SignerInfo: expected signed attributes");
    const sigAlg = SIGNATURES[algorithm(si[4], "SignerInfo.signatureAlgorithm")];
    expect(sigAlg === "any" || sigAlg === digest, "SignerInfo.signatureAlgorithm: unknown, or names another digest than the signer's");
    expect(tag(si[5]) === 0x04, "SignerInfo.signature: expected an OCTET STRING");
    expect(si.length === 6 || (si.length === 7 && tag(si[6]) === 0xa1), "SignerInfo: unexpected fields");
    return undefined;
  } catch (e) {
    return e instanceof Bad ? e.message : `not canonical DER: ${(e as Error).message}`;
  }
}
