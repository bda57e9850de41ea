// Fulcio certificate extensions (OID 1.3.6.1.4.1.57264.1.N) by the names Fulcio's documentation gives them.
import type { X509Certificate } from "@sigstore/core";
import { readDer } from "./der.js";
import type { DerNode } from "./der.js";

const FULCIO_ARC = "1.3.6.1.4.1.57264.1.";

// 1..6 are the deprecated raw-string extensions; 8 and later are DER UTF8String values.
const NAMES: Readonly<Record<number, string>> = {
  1: "issuerV1",
  2: "githubWorkflowTrigger",
  3: "githubWorkflowSha",
  4: "githubWorkflowName",
  5: "githubWorkflowRepository",
  6: "githubWorkflowRef",
  8: "issuer",
  9: "buildSignerURI",
  10: "buildSignerDigest",
  11: "runnerEnvironment",
  12: "sourceRepositoryURI",
  13: "sourceRepositoryDigest",
  14: "sourceRepositoryRef",
  15: "sourceRepositoryIdentifier",
  16: "sourceRepositoryOwnerURI",
  17: "sourceRepositoryOwnerIdentifier",
  18: "buildConfigURI",
  19: "buildConfigDigest",
  20: "buildTrigger",
  21: "runInvocationURI",
  22: "sourceRepositoryVisibilityAtSigning",
};

function decode(n: number, value: Buffer): string | undefined {
  if (n <= 6) return value.toString("utf8");
  return readDer(value).root.value.toString("utf8");
}

/** The raw value of each Fulcio extension the certificate carries, by number. Of repeats, the first counts. */
function rawFulcioExtensions(cert: X509Certificate): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  // one pass over the extensions, each OID decoded once (a lookup per name would decode every OID per name)
  for (const ext of cert.extensions) {
    const oid = ext.subs[0]?.toOID();
    if (oid === undefined || !oid.startsWith(FULCIO_ARC)) continue;
    const suffix = oid.slice(FULCIO_ARC.length);
    const n = Number(suffix);
    // exactly the arc plus one number (1.3.6.1.4.1.57264.1.1.0 is not issuerV1)
    if (String(n) !== suffix || NAMES[n] === undefined || found.has(n)) continue;
    found.set(n, ext.subs[ext.subs.length - 1]!.value);
  }
  return found;
}

/** Fulcio extensions of a leaf certificate by name, in the order of their numbers; unparseable values are left out. Of repeats, the first counts. */
export function fulcioExtensions(cert: X509Certificate): Record<string, string> {
  const found = rawFulcioExtensions(cert);
  const out: Record<string, string> = {};
  for (const n of Object.keys(NAMES).map(Number)) {
    const value = found.get(n);
    if (value === undefined) continue;
    try {
      const v = decode(n, value);
      if (v !== undefined) out[NAMES[n]!] = v;
    } catch {
      // a malformed extension value is simply not reported; a malformed issuer fails closed (certificateIssuer)
    }
  }
  return out;
}

const ISSUER_V2 = 8;
const DER_UTF8_STRING = 0x0c;

/**
 * The OIDC issuer: the v2 extension (1.3.6.1.4.1.57264.1.8, a DER UTF8String) wins over the deprecated v1 one (.1.1,
 * raw); neither present: no issuer. A v2 extension that is present but not one DER UTF8String is a problem (the
 * leaf is refused), never a fall back to the v1 value, which could name another issuer.
 */
export function certificateIssuer(cert: X509Certificate): { issuer: string | undefined } | { problem: string } {
  const found = rawFulcioExtensions(cert);
  const v2 = found.get(ISSUER_V2);
  if (v2 !== undefined) {
    try {
      const root = readDer(v2).root;
      if (root.tagByte === DER_UTF8_STRING) return { issuer: root.value.toString("utf8") };
    } catch {
      // malformed: refused below
    }
    return { problem: "the certificate's OIDC issuer extension (1.3.6.1.4.1.57264.1.8) is malformed: expected a DER UTF8String" };
  }
  const v1 = found.get(1);
  return { issuer: v1 === undefined ? undefined : decode(1, v1) };
}

// GeneralName tags (RFC 5280 4.2.1.6) whose value names an identity: otherName [0], rfc822Name [1], dNSName [2], URI [6]
const NAME_KINDS: Readonly<Record<number, string>> = { 0: "otherName", 1: "rfc822Name", 2: "dNSName", 6: "URI" };
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A SAN value's raw bytes for a message: printable ASCII as it is, any other byte as \xNN, at most 120 bytes shown. */
function showBytes(b: Buffer): string {
  const head = [...b.subarray(0, 120)].map((c) => (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`)).join("");
  return `"${head}${b.length > 120 ? "..." : ""}"`;
}

const SAN_OID = "2.5.29.17";

/**
 * The signer identity a leaf certificate names (its SAN URI, else its rfc822Name: what @sigstore/core reads), after
 * checking the SAN's raw bytes. The library decodes them as 'ascii', which drops each byte's top bit (0xE1 reads as
 * 'a'), so a SAN with non-ASCII bytes could equal an ASCII identity exactly; Fulcio issues no such SAN, but another
 * CA could. Every identity-bearing name (URI, rfc822Name, dNSName, otherName value) of every SAN extension must be
 * printable 7-bit ASCII, else `problem` names the name and its bytes. Every verification path reads identities here.
 */
export function certificateIdentity(cert: X509Certificate): { san: string | undefined } | { problem: string } {
  for (const ext of cert.extensions) {
    if (ext.subs[0]?.toOID() !== SAN_OID) continue;
    let names: DerNode[];
    try {
      names = readDer(ext.subs[ext.subs.length - 1]!.value).root.subs;
    } catch (e) {
      return { problem: `the certificate's SAN extension does not parse: ${e instanceof Error ? e.message : String(e)}` };
    }
    for (const name of names) {
      const kind = name.tag.isContextSpecific() ? NAME_KINDS[name.tag.number] : undefined;
      if (kind === undefined) continue;
      // an otherName is SEQUENCE { type-id OID, [0] EXPLICIT value }: the value's own content bytes are checked
      const raw = name.tag.number === 0 ? name.subs[1]?.subs[0]?.value : name.value;
      if (raw === undefined) return { problem: `the certificate's SAN ${kind} is malformed: expected a type id and a value` };
      const bytes = Buffer.from(raw);
      if (!PRINTABLE_ASCII.test(bytes.toString("latin1"))) {
        return { problem: `the certificate's SAN ${kind} ${showBytes(bytes)} holds bytes outside printable 7-bit ASCII (0x20-0x7e); expected an identity of printable ASCII characters` };
      }
    }
  }
  return { san: cert.subjectAltName };
}
