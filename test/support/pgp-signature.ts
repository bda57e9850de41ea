// OpenPGP signature packets for tests and demo scenarios: the issuer subpackets agent-gate reads to tell GitHub's own
// (web-flow) signature from a person's key. The signature bytes are not real: GitHub, not agent-gate, verifies them.

/** A v4 signature packet (old format, RSA/SHA-256) naming `fingerprint` (subpacket 33) and/or `keyId` (16); no real signature. */
export function pgpSignatureFor(opts: { fingerprint?: string; keyId?: string }): string {
  const sub = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([body.length + 1, type]), body]);
  const hashed = Buffer.concat([sub(2, Buffer.from([0x66, 0, 0, 0])), ...(opts.fingerprint ? [sub(33, Buffer.concat([Buffer.from([4]), Buffer.from(opts.fingerprint, "hex")]))] : [])]);
  const unhashed = opts.keyId ? sub(16, Buffer.from(opts.keyId, "hex")) : Buffer.alloc(0);
  const len16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const body = Buffer.concat([Buffer.from([4, 0, 1, 8]), len16(hashed.length), hashed, len16(unhashed.length), unhashed, Buffer.from([0xab, 0xcd, 0, 8, 0x55])]);
  const packet = Buffer.concat([Buffer.from([0x89]), len16(body.length), body]);
  return `-----BEGIN PGP SIGNATURE-----\n\n${packet.toString("base64").replace(/(.{64})/g, "$1\n")}\n=abcd\n-----END PGP SIGNATURE-----\n`;
}

/** GitHub's current web-flow key (https://github.com/web-flow.gpg). */
export const GITHUB_WEB_FLOW_FINGERPRINT = "968479a1aff927e37d1a566bb5690eeebb952194";
