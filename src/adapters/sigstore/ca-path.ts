// Certificate paths and SCTs for a leaf, with the work that does not depend on the leaf done once per trusted CA.
// @sigstore/verify's CertificateChainVerifier re-encodes every certificate to compare and verify it and re-checks the
// CA's own links (intermediate by root, root by itself) for every leaf: three signature checks and a dozen
// re-encodings per bundle (in a fresh CLI process, the re-encoding alone was the largest cost of a verification).
// Here the CA certificates are read as the DER bytes the trusted root holds (der-view.ts: strict DER, which the
// library's parse and re-encoding leave as they are, so byte equality is its equals() and the TBS slice is what it
// verifies), and the paths from a CA certificate up to its self-signed root are built the way the library's
// buildPaths builds them, only for the certificates that issued a leaf, and once per chain (cached by the chain's
// DER digest). The leaf is joined to them the way the library joins it: issuers found by key identifier (else by
// name), each checked with one signature over the leaf's TBS bytes as signed, the shortest path kept, and the
// library's path checks (CAs beyond the leaf, name chaining, path lengths) applied. test/adapters/sigstore/
// ca-path.test.ts compares every verdict with the library's. The SCTs are checked over the precertificate TBS
// spliced out of the leaf's bytes, not over a re-encoded copy.
import type { KeyObject } from "node:crypto";
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { X509Certificate } from "@sigstore/core";
import type { TrustMaterial } from "@sigstore/verify";
import { sha256Bytes, sha256Hex } from "../../core/digest.js";
import { LruCache } from "../lru.js";
import { certificateBytes, publicKeyFromSpki } from "./der-view.js";
import type { CertificateBytes } from "./der-view.js";

/** A certificate of a trusted CA chain, with what joining a leaf to it reads, computed once (its key on first use). */
interface CaCert {
  readonly cert: X509Certificate;
  readonly bytes: CertificateBytes; // its TBS and key as the trusted root holds them
  readonly ski: Buffer | undefined | Error; // subject key identifier, or why reading it failed
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly isCA: boolean;
  readonly pathLen: bigint | undefined; // only when it is a CA by basic constraints, as the library reads it
  key: KeyObject | Error | undefined; // its public key once loaded, or why it does not load
  paths: CaCert[][] | Error | undefined; // the library's paths from it to a self-signed root (each ends with the root twice)
}

interface CaChain {
  readonly local: CaCert[]; // the chain without repeats, in order: the candidates for the leaf's issuer
}

/** The leaf's parts the path and the SCTs need (from chain-check's cached Leaf). */
export interface PathLeaf {
  readonly cert: X509Certificate;
  readonly der: Buffer;
  readonly bytes: CertificateBytes | undefined;
}

// Chains by the sha256 of their certificates' DER: a verifier built per request (the CLI, a refreshed root) finds the
// links its predecessor verified. Bounded: a few roots, a few CAs each.
const chains = new LruCache<string, CaChain>(64);
// the CA certificate objects a path is built of, to find the issuer key hash of a path's second element
const caOf = new WeakMap<X509Certificate, CaCert>();
// per trust material CA entry, its chain, so the digest is computed once per verifier
const byEntry = new WeakMap<object, CaChain>();

/** A chain's CA links as facts: per certificate of the chain without repeats, its paths as indices, or null (none known). */
export type CaLinks = readonly (readonly (readonly number[])[] | null)[];
// links of chains computed earlier from the same DER (root-facts.ts), by chain digest: applied when the chain is built
const seeds = new Map<string, CaLinks>();
// the chains built in this process, by digest, newest last (bounded like `chains`), for caLinkFacts()
const built = new Map<string, CaChain>();

function attempt<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function caCert(cert: X509Certificate, der: Buffer): CaCert {
  const bc = attempt(() => cert.extBasicConstraints);
  const isCA = attempt(() => cert.isCA);
  const c: CaCert = {
    cert,
    bytes: certificateBytes(der), // throws on anything but strict DER: the chain then issues nothing (fail closed)
    ski: attempt(() => cert.extSubjectKeyID?.keyIdentifier),
    subject: cert.subject,
    issuer: cert.issuer,
    isCA: isCA === true,
    pathLen: bc instanceof Error || !bc?.isCA ? undefined : bc.pathLenConstraint,
    key: undefined,
    paths: undefined,
  };
  caOf.set(cert, c);
  return c;
}

/** The CA certificate's public key (the library's createPublicKey of its SubjectPublicKeyInfo), or why it does not load. */
function keyOf(c: CaCert): KeyObject | Error {
  c.key ??= attempt(() => publicKeyFromSpki(c.bytes.spki));
  return c.key;
}

function chainOf(entry: TrustMaterial["certificateAuthorities"][number], given?: readonly Buffer[]): CaChain {
  const known = byEntry.get(entry);
  if (known) return known;
  // the trusted root's own bytes when the caller has them (re-encoding a parsed certificate costs a signature check)
  const ders = given?.length === entry.certChain.length ? given : entry.certChain.map((c) => Buffer.from(c.root.toDER()));
  const key = sha256Hex(Buffer.concat(ders.flatMap((d) => [Buffer.from(`${d.length}:`), d])));
  let chain = chains.get(key);
  if (chain === undefined) {
    // the library's localCerts: the chain without later repeats
    const local: CaCert[] = [];
    for (const [i, c] of entry.certChain.entries()) if (ders.findIndex((d) => d.equals(ders[i]!)) === i) local.push(caCert(c, ders[i]!));
    chain = { local };
    applySeed(local, seeds.get(key));
    chains.set(key, chain);
    built.delete(key);
    built.set(key, chain);
    if (built.size > 64) built.delete(built.keys().next().value!);
  }
  byEntry.set(entry, chain);
  return chain;
}

/** Whether `c` names `candidate` its issuer, as the library's findIssuer matches: key identifiers, else names. */
function names(candidate: CaCert, aki: Buffer | undefined, issuerName: Buffer): boolean {
  if (aki) {
    if (candidate.ski instanceof Error) throw candidate.ski;
    if (candidate.ski !== undefined) return candidate.ski.equals(aki);
  }
  return candidate.subject.equals(issuerName);
}

function verifies(cert: X509Certificate, tbs: Buffer, key: KeyObject | Error): boolean {
  if (key instanceof Error) return false;
  try {
    return cryptoVerify(cert.signatureAlgorithm, tbs, key, cert.signatureValue);
  } catch {
    return false;
  }
}

/** The library's findIssuer for a CA certificate of the chain: itself when self-signed, else the local CAs that signed it. */
function caIssuers(c: CaCert, local: readonly CaCert[]): CaCert[] {
  if (c.subject.equals(c.issuer)) {
    const own = keyOf(c);
    if (own instanceof Error) throw own; // the library's self-check loads the key outside its try
    if (verifies(c.cert, c.bytes.tbs, own)) return [c];
  }
  const aki = c.cert.extAuthorityKeyID?.keyIdentifier;
  return local.filter((i) => names(i, aki, c.issuer) && verifies(c.cert, c.bytes.tbs, keyOf(i)));
}

/**
 * The library's buildPaths from a CA certificate (each path ends with its self-signed root twice), computed once per
 * certificate. A loop of issuers, which the library recurses into until the stack overflows, is refused.
 */
function caPaths(c: CaCert, local: readonly CaCert[], depth = 0): CaCert[][] {
  if (c.paths === undefined) {
    c.paths = attempt(() => {
      if (depth > local.length) throw new Error("the CA certificates issue each other in a loop");
      const issuers = caIssuers(c, local);
      if (issuers.length === 0) throw new Error("no valid certificate path found");
      return issuers.flatMap((i) => (i === c ? [[c]] : caPaths(i, local, depth + 1).map((p) => [i, ...p])));
    });
  }
  if (c.paths instanceof Error) throw c.paths;
  return c.paths;
}

/**
 * Gives the chain the links recorded for its exact DER (its digest is the key), when they have the shape the
 * library's paths have: indices into the chain; a self-named certificate's own path [itself], or a path ending with a
 * self-named root twice. Anything else is ignored and the links are computed.
 */
function applySeed(local: readonly CaCert[], seed: CaLinks | undefined): void {
  if (seed === undefined || seed.length !== local.length) return;
  const selfNamed = (i: number | undefined): boolean => i !== undefined && local[i]!.subject.equals(local[i]!.issuer);
  const shaped = (k: number, p: readonly number[]): boolean =>
    p.every((i) => Number.isInteger(i) && i >= 0 && i < local.length) && (p.length === 1 ? p[0] === k && selfNamed(k) : p.length > 1 && p.at(-1) === p.at(-2) && selfNamed(p.at(-1)));
  if (!seed.every((paths, k) => paths === null || (paths.length > 0 && paths.every((p) => shaped(k, p))))) return;
  for (const [i, paths] of seed.entries()) if (paths !== null) local[i]!.paths = paths.map((p) => p.map((j) => local[j]!));
}

/**
 * Records CA links computed from exactly the same chain bytes (by the chain digest chainOf keys them with), as
 * caLinkFacts() gave them in an earlier process: a chain built later starts with them instead of checking its own
 * signatures again. Only root-facts.ts calls this, with facts of a directory only the user can write.
 */
export function seedCaLinks(links: ReadonlyMap<string, CaLinks>): void {
  for (const [key, l] of links) seeds.set(key, l);
}

/** The CA links this process verified (not the seeded ones' failures: only paths found), by chain digest. */
export function caLinkFacts(): Map<string, CaLinks> {
  const out = new Map<string, CaLinks>();
  for (const [key, { local }] of built) {
    const links = local.map((c) => (Array.isArray(c.paths) ? c.paths.map((p) => p.map((x) => local.indexOf(x))) : null));
    if (links.some((l) => l !== null)) out.set(key, links);
  }
  return out;
}

function signedBy(leaf: PathLeaf, key: KeyObject | Error | undefined): boolean {
  if (key === undefined || leaf.bytes === undefined) return false;
  return verifies(leaf.cert, leaf.bytes.tbs, key);
}

/**
 * The path from the leaf to a self-signed root of the CA (leaf first, signatures checked, validity not), as
 * @sigstore/verify's CertificateChainVerifier builds it; throws where it throws. `ders`: the CA's certificates as
 * the trusted root holds them (same order), else they are re-encoded once.
 */
export function leafPath(entry: TrustMaterial["certificateAuthorities"][number], leaf: PathLeaf, ders?: readonly Buffer[]): X509Certificate[] {
  const { local } = chainOf(entry, ders);
  const cert = leaf.cert;
  // a self-signed leaf is its own only issuer, and a path of it alone holds no trusted certificate
  // (as there, a self-named leaf whose own key does not load fails the path)
  if (cert.subject.equals(cert.issuer)) {
    if (leaf.bytes === undefined) throw new Error("the certificate is not DER");
    if (signedBy(leaf, createPublicKey({ key: leaf.bytes.spki, format: "der", type: "spki" }))) throw new Error("no trusted certificate path found");
  }
  const aki = cert.extAuthorityKeyID?.keyIdentifier;
  const issuers = local.filter((c) => names(c, aki, cert.issuer) && signedBy(leaf, keyOf(c)));
  if (issuers.length === 0) throw new Error("no valid certificate path found");
  const paths: CaCert[][] = [];
  for (const issuer of issuers) for (const p of caPaths(issuer, local)) paths.push([issuer, ...p]);
  if (paths.length === 0) throw new Error("no trusted certificate path found");
  const shortest = paths.reduce((prev, curr) => (prev.length < curr.length ? prev : curr)).slice(0, -1);
  // the library's checkPath: every certificate beyond the leaf a CA, names chained, path lengths kept
  if (!shortest.every((c) => c.isCA)) throw new Error("intermediate certificate is not a CA");
  const issuerOf = [cert.issuer, ...shortest.map((c) => c.issuer)];
  const subjects = [cert.subject, ...shortest.map((c) => c.subject)];
  for (let i = subjects.length - 2; i >= 0; i--) if (!issuerOf[i]!.equals(subjects[i + 1]!)) throw new Error("incorrect certificate name chaining");
  const leafBc = cert.extBasicConstraints;
  const lengths = [leafBc?.isCA ? leafBc.pathLenConstraint : undefined, ...shortest.map((c) => c.pathLen)];
  for (const [i, len] of lengths.entries()) if (len !== undefined && len < i - 1) throw new Error("path length constraint exceeded");
  return [cert, ...shortest.map((c) => c.cert)];
}

/**
 * The CT logs whose SCTs in the leaf verify (RFC 6962 precertificate entries, issuer key hash of `issuer`), as
 * @sigstore/verify's verifySCTs returns them; throws when an SCT verifies under no log valid at its time.
 */
export function verifiedSctLogs(leaf: PathLeaf, issuer: X509Certificate, ctlogs: TrustMaterial["ctlogs"]): Buffer[] {
  const ext = leaf.cert.extSCT;
  if (ext === undefined) return [];
  const scts = ext.signedCertificateTimestamps;
  if (scts.length === 0) return [];
  if (leaf.bytes === undefined) throw new Error("the certificate is not DER");
  const tbs = leaf.bytes.precertTbs();
  if (tbs === undefined) throw new Error("the certificate has no SCT extension to remove");
  const known = caOf.get(issuer);
  const issuerHash = sha256Bytes(known !== undefined ? known.bytes.spki : Buffer.from(issuer.publicKey));
  const len = Buffer.alloc(3);
  len.writeUIntBE(tbs.length, 0, 3);
  return scts.map((sct) => {
    const at = sct.datetime;
    const extLen = Buffer.alloc(2);
    extLen.writeUInt16BE(sct.extensions.byteLength);
    // digitally-signed struct: version, certificate_timestamp(0), timestamp, precert_entry(1), PreCert, extensions
    const signed = Buffer.concat([Buffer.from([sct.version, 0]), sct.timestamp, Buffer.from([0, 1]), issuerHash, len, tbs, extLen, sct.extensions]);
    const ok = ctlogs.some((log) => {
      if (!log.logID.equals(sct.logID) || !(log.validFor.start <= at && at <= log.validFor.end)) return false;
      try {
        return cryptoVerify(sct.algorithm, signed, log.publicKey, sct.signature);
      } catch {
        return false;
      }
    });
    if (!ok) throw new Error("SCT verification failed");
    return sct.logID;
  });
}

/** The DER views of a certificate, or undefined when it is not strict DER (its paths and SCTs then fail closed). */
export function leafBytes(der: Buffer): CertificateBytes | undefined {
  try {
    return certificateBytes(der);
  } catch {
    return undefined;
  }
}
