// Real OpenPGP v4 signatures for tests and demo scenarios: RSA/SHA-256 over a payload (git's commit object without its
// signature header), with the issuer subpackets placed where a test wants them (hashed, unhashed, or both), so that
// agent-gate's own check (src/core/github-signature.ts) is what accepts or refuses them.
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { rsaKeyFingerprint, type GitHubSigningKey } from "../../src/core/github-signature.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";

/** A signing key: its private half and its public half as agent-gate pins one. */
export interface PgpTestKey {
  readonly privateKey: KeyObject;
  readonly pinned: GitHubSigningKey;
}

/** The stand-in GitHub's web-flow key (src/demo/github/web-flow-key.ts): a throwaway key made for the demo only. */
const DEMO_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCxPYT+7bFRGiKO
oOzRe6+EKaqjK81HO1TOEvWjuBgcrhmURfMfknJvP45zFUUGneuXKDCMk39YDXtl
qO6VCX4evu3urSyNu9geLw0tkTv0RC8uq/rg1scpssymqwUc0ikdvoZaph1tOOCY
kAJcQMAFP1IyqwcM5Wk1LjPXpdEV+5JDq0sSMxGeYl1yDEN1UjSIurw1a29sYDWE
y0zoaqbwxvlMp8nlDt9vbDM3pi1k+RdqPyYnB0Zf+x1xRUJw8tlEOuWaWOpR23Ct
BVq7DkJD+HVoqmCs7eUYkmZZNBc8uO29aXQMVeSeCBWiUyiA12e1zi8zu2wizqQC
KkuaPOGtAgMBAAECggEAKvdKKJ+X+txuUKunxS+p8IzGQiiR6qjyKcO0WxQ7eiZl
aombgsWWaqwaXQEkutIpJLtYK5ftCLw58/7EGYqT0aHA3bmK4bAOF+EZnXiF83Td
CEAmQP+oB86BqIywYFh9IaoIeWyoGQxu++T7QYBr3EnJpCFMQ/7QJpV0+VvH6D8r
xWA1N55rrv0Oo10+uHabIJewOYBSS27sN0oYSfHft47f6GlP3GcFtVt7L607al5/
imDyj319Xr3nOYdmNSCTz65FDQTq8qhci1C0PZ4gtF4zCL7Iw8YDHQga0W9qE8L7
PcLgpLBjXOFm1yovaLvb31mvZhN6OkPXsrdTemLrOQKBgQD6lSIOX5zNY8zX7Pz9
mtQk6QZw7HG4PIqWIDNsPJR+rr5XTpAWY8fUIV8a+FxRkLFf/IwmP8nhA8ZmrsVw
sC/kWaLXIw9/ZcNmWF1zOnt9Jiwr+AQYu87COgb59+dNkT6/5DHikMQbIiX6z0wu
CAF49PR04mUdJ6ikdCDyfIRnlQKBgQC1Enf4TWpz81mpZdl/HiC4yeu0FqwXgnH0
MfSZBpXfqNEJnTsBcFHkDNlAsI9d9vMoeJigcpbIuYTkNYk0qVsmcf2lCdT8V39x
GJWnoYkkFvivcJBXnpNULRMT5FHLe9pL30gqsoMcXRkZzdehrwJXAS7T12ZcXASX
aHF2cogruQKBgQCEdGRGGMA3yTM0R+8K1taglBR1iGYsLsRKysajxfnwZMn0OHDt
hNzSArnU9cdGzicUR9iFN16s9GPhTyzKfjcyizcKZVwByXbaGId9K0KvSog6zaTM
til6fVXGuAWp+MakhCjiTAd9GDXfN8ha5JxypXi6eBleqeH42/G2e585aQKBgAFa
k/8NRSB8z0zO8CNdLE11ZQfBq6O5W/TBcty6CeDUOEvkGw7VsicMWYt8RnYjZIoG
7M02Th5OFMpIBDCam43cCFN1kVwZo2BLGMNaF9ZnPZDCPLILA3r7o0rgyCPHV0h9
8OIw134czBU/Tr9suY3A+oKm96L1JSukokSKcq4xAoGBAK+ne4dW9jw9wtxWsHv9
JJ0JD3CBjuz+88bsPwNCH6TxOD91auc2Y7COAqnSUKk3tmlItcdcPOlURyfQguzA
/Bj6bHg2odrNdZtjkNkkCP22c/RwcSAEhQWRpBg4ZNTPTFyFUTo8KtTOAwmlkizx
A/opBCHGsqheWgN7dj6COvso
-----END PRIVATE KEY-----
`;

export const DEMO_WEB_FLOW: PgpTestKey = { privateKey: createPrivateKey(DEMO_PRIVATE_KEY), pinned: DEMO_GITHUB_SIGNING_KEYS[0]! };

/** A fresh RSA key (2048 bits) created at `created` (seconds), e.g. Mallory's. */
export function newPgpKey(created = 1767225600): PgpTestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const values = { created, modulus: Buffer.from(jwk.n!, "base64url").toString("base64"), exponent: Buffer.from(jwk.e!, "base64url").toString("base64") };
  return { privateKey, pinned: { fingerprint: rsaKeyFingerprint(values), ...values } };
}

type Issuer = { readonly fingerprint?: string; readonly keyId?: string };
const sub = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([body.length + 1, type]), body]);
const issuerSubpackets = (i: Issuer): Buffer[] => [...(i.fingerprint ? [sub(33, Buffer.concat([Buffer.from([4]), Buffer.from(i.fingerprint, "hex")]))] : []), ...(i.keyId ? [sub(16, Buffer.from(i.keyId, "hex"))] : [])];
const len16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);

function crc24(b: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of b) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * An armoured signature by `key` over `payload`. The issuer goes where GitHub puts its own (the key id, hashed)
 * unless `hashed` / `unhashed` say otherwise; `at`: its creation time (seconds).
 */
export function pgpSign(payload: string, key: PgpTestKey, o: { hashed?: Issuer; unhashed?: Issuer; at?: number } = {}): string {
  const at = Buffer.alloc(4);
  at.writeUInt32BE(o.at ?? key.pinned.created + 86_400);
  const hashed = Buffer.concat([sub(2, at), ...issuerSubpackets(o.hashed ?? { keyId: key.pinned.fingerprint.slice(24) })]);
  const unhashed = Buffer.concat(issuerSubpackets(o.unhashed ?? {}));
  const head = Buffer.concat([Buffer.from([4, 0, 1, 8]), len16(hashed.length), hashed]);
  const trailer = Buffer.concat([Buffer.from([4, 0xff]), Buffer.from([0, 0, head.length >> 8, head.length & 0xff])]);
  const data = Buffer.concat([Buffer.from(payload, "utf8"), head, trailer]);
  const signed = sign("sha256", data, key.privateKey);
  const value = signed.subarray(signed.findIndex((x) => x !== 0)); // an MPI has no leading zero bytes
  const bits = value.length * 8 - Math.clz32(value[0]!) + 24;
  const body = Buffer.concat([head, len16(unhashed.length), unhashed, createHash("sha256").update(data).digest().subarray(0, 2), len16(bits), value]);
  const packet = Buffer.concat([Buffer.from([0x89]), len16(body.length), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc24(packet));
  return `-----BEGIN PGP SIGNATURE-----\n\n${packet.toString("base64").match(/.{1,64}/g)!.join("\n")}\n=${crc.subarray(1).toString("base64")}\n-----END PGP SIGNATURE-----\n`;
}

/** GitHub's current web-flow key (https://github.com/web-flow.gpg). */
export const GITHUB_WEB_FLOW_FINGERPRINT = "968479a1aff927e37d1a566bb5690eeebb952194";
