// Class 8, verifier edges: deeply nested JSON where a recursive reader would overflow its stack (as text and as a
// parsed value), a bundle whose chain carries a foreign root, and the 140 sigstore-conformance bundle-verify checks
// (fixtures/sigstore-conformance, driven as test/adapters/sigstore/conformance.test.ts drives them), and DER built to
// sink @sigstore/core's ASN.1 parser as a bundle's leaf certificate or RFC 3161 token (before der.ts read them: the
// 138-byte leaf took 38 s, the 3.2 MB token 8 s, 100,000 nested OCTET STRINGs overflowed the stack).
// Bound: every hostile input is a coded failure (never INTERNAL_ERROR) in well under a second; all 140 checks right.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadPinnedRoot, loadRootFile } from "../../src/adapters/sigstore/trusted-root.js";
import { createVerifier } from "../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../src/adapters/sigstore/verifier.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { HostileRow } from "../hostile.js";
import { expBomb, octetBomb, tlv } from "../../test/support/der-bombs.js";

const CLASS = "8 verifier edges";
const DIR = "fixtures/sigstore-conformance";
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
const rss = (): number => process.resourceUsage().maxRSS / 1024;
const kb = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

function edge(input: string, bundle: unknown, size: number, expected: string): HostileRow {
  const v = createVerifier({ trustedRoot: loadPinnedRoot() });
  const t = performance.now();
  const o = v.verify({ bundle, subject: { kind: "artifact", bytes: readFileSync(join(DIR, "a.txt")) }, signer });
  const seconds = (performance.now() - t) / 1000;
  const outcome = o.ok ? "verified" : o.code;
  return { class: CLASS, input, size: kb(size), seconds, peakRssMb: rss(), outcome, bound: `${expected} < 1 s`, met: outcome === expected && seconds < 1 };
}

function conformance(): HostileRow {
  const cases = readdirSync(DIR).filter((n) => statSync(join(DIR, n)).isDirectory());
  const opt = (dir: string, name: string): string | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").trim() : undefined);
  let right = 0;
  let internal = 0;
  let bytes = 0;
  const t = performance.now();
  for (const name of cases) {
    const dir = join(DIR, name);
    const artifact = readFileSync(existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(DIR, "a.txt"));
    const bundle = readFileSync(join(dir, "bundle.sigstore.json"));
    bytes += bundle.length;
    const key = opt(dir, "key.pub");
    const s: SignerPolicy = key !== undefined ? { kind: "key", publicKeyPem: `${key}\n` } : { kind: "certificate", identity: opt(dir, "identity") ?? IDENTITY, issuer: opt(dir, "issuer") ?? ISSUER };
    for (const subject of [{ kind: "artifact", bytes: artifact }, { kind: "digest", algorithm: "sha256", hex: createHash("sha256").update(artifact).digest("hex") }] as SubjectSpec[]) {
      let ok: boolean;
      try {
        const root = existsSync(join(dir, "trusted_root.json")) ? loadRootFile(join(dir, "trusted_root.json")) : loadPinnedRoot();
        const o = createVerifier({ trustedRoot: root }).verify({ bundle, subject, signer: s });
        ok = o.ok;
        if (!o.ok && o.code === "INTERNAL_ERROR") internal++;
      } catch (e) {
        if (!(e instanceof AgentGateError)) throw e;
        ok = false;
      }
      if (ok === !name.endsWith("_fail")) right++;
    }
  }
  const seconds = (performance.now() - t) / 1000;
  const total = cases.length * 2;
  return { class: CLASS, input: `sigstore-conformance bundle-verify (${cases.length} cases x path, digest)`, size: kb(bytes), seconds, peakRssMb: rss(), outcome: `${right}/${total} right, ${internal} INTERNAL_ERROR`, bound: "140/140 right", met: right === total && total === 140 && internal === 0 };
}

export function rows(): Promise<HostileRow[]> {
  const out: HostileRow[] = [];
  for (const depth of [5_000, 100_000]) {
    const text = `{"mediaType":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    out.push(edge(`mediaType nested ${depth.toLocaleString("en")} deep (text)`, text, text.length, "BUNDLE_MALFORMED"));
    out.push(edge(`mediaType nested ${depth.toLocaleString("en")} deep (parsed value)`, JSON.parse(text) as unknown, text.length, "BUNDLE_MALFORMED"));
  }
  const rootCert = readFileSync(join(DIR, "bundle-with-root-cert_fail", "bundle.sigstore.json"));
  out.push(edge("a foreign root and intermediate after the leaf", rootCert, rootCert.length, "CERTIFICATE_CHAIN_INVALID"));
  const base = JSON.parse(readFileSync(join(DIR, "rekor2-timestamp-with-embedded-cert", "bundle.sigstore.json"), "utf8")) as {
    verificationMaterial: { certificate: { rawBytes: string }; timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] } };
  };
  const withLeaf = (der: Buffer) => {
    const b = structuredClone(base);
    b.verificationMaterial.certificate.rawBytes = der.toString("base64");
    return b;
  };
  const withToken = (der: Buffer) => {
    const b = structuredClone(base);
    b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!.signedTimestamp = der.toString("base64");
    return b;
  };
  const exp = expBomb(22);
  out.push(edge("leaf certificate: 22 OCTET STRINGs whose guessed content runs past them (the library: 2^22 reads)", withLeaf(exp), exp.length, "BUNDLE_MALFORMED"));
  const octets = octetBomb(10_000, 6_000);
  out.push(edge("leaf certificate: 10,000 nested OCTET STRINGs", withLeaf(octets), octets.length, "BUNDLE_MALFORMED"));
  const flat = tlv(0x30, Buffer.from("0500".repeat(1_600_000), "hex"));
  out.push(edge("RFC 3161 token: one SEQUENCE of 1,600,000 NULLs", withToken(flat), flat.length, "TIMESTAMP_INVALID"));
  const deep = tlv(0x30, octetBomb(100_000, 4));
  out.push(edge("RFC 3161 token: 100,000 nested OCTET STRINGs", withToken(deep), deep.length, "TIMESTAMP_INVALID"));
  out.push(conformance());
  return Promise.resolve(out);
}
