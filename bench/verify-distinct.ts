// Distinct bundles: what real traffic looks like (every agent push is signed with a new short-lived certificate).
// A list of bundles, each with its own leaf, is cycled through one warm verifier with the verdict cache off and a
// certificate cache of 1, beside plain @sigstore/verify on the same list and the raw node:crypto floor: the signature
// checks each bundle needs, done directly on inputs prepared beforehand (nothing parsed, hashed or encoded inside the
// timed loop apart from what the signature algorithm itself hashes).
// Two lists: the tests' own Sigstore (50 bundles, 25 message signatures and 25 DSSE in-toto, each with a new leaf,
// Rekor v1 entries with SET, inclusion proof and checkpoint, one SCT) and the real public-good bundles of
// fixtures/sigstore/cases whose leaves differ, verified against the production trusted root.
import { X509Certificate, createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { X509Certificate as CoreX509, X509SCTExtension, EXTENSION_OID_SCT, crypto as score } from "@sigstore/core";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier as PlainVerifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import { createVerifier } from "../src/adapters/sigstore/verifier.js";
import type { SubjectSpec } from "../src/adapters/sigstore/verifier.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../test/support/sigstore/index.js";
import { sha256 } from "../test/support/sigstore/content.js";
import type { Row } from "./table.js";

const CASES = "fixtures/sigstore/cases";
const PRODUCTION_ROOT = "trust/sigstore-production.json";
// the passing keyless public-good cases with distinct leaves (c01/c02 and c03/c04 share theirs; one of each pair)
const REAL_CASES = ["c02-msg-v0.2-happy", "c04-msg-v0.3-happy", "c05-dsse-intoto-slsa-v0.3", "l01-cosign-legacy-bundle-converted", "y01-pypi-whl-github-actions", "g01-npm-slsa-v1-provenance", "g02-npm-slsa-v0.2-set-only", "k01-cosign-oci-attestation-new-bundle", "j01-msg-v0.1-set-only"];
const OWN_BUNDLES = 50;

export interface DistinctBundle {
  readonly label: string;
  readonly text: string;
  readonly subject: SubjectSpec;
  readonly signer: { kind: "certificate"; identity: string; issuer: string };
  readonly artifact?: Buffer;
}

interface RootJson {
  tlogs: { logId: { keyId: string }; publicKey: { rawBytes: string } }[];
  ctlogs: { logId: { keyId: string }; publicKey: { rawBytes: string } }[];
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
}
interface EntryJson {
  logIndex: string;
  logId: { keyId: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof?: { checkpoint: { envelope: string } };
  canonicalizedBody: string;
}
interface BundleJson {
  verificationMaterial: { certificate?: { rawBytes: string }; x509CertificateChain?: { certificates: { rawBytes: string }[] }; tlogEntries: EntryJson[] };
  messageSignature?: { signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string }[] };
}

/** The signature checks one bundle needs, by kind, and a function doing them on pre-parsed inputs. */
export interface Floor {
  readonly counts: Record<string, number>;
  /** every check, the CA link (intermediate by root) included */
  readonly all: () => void;
  /** the checks that differ per bundle: the CA link is the same for every bundle of a root */
  readonly perBundle: () => void;
}

const spki = (b64: string): KeyObject => createPublicKey({ key: Buffer.from(b64, "base64"), format: "der", type: "spki" });
const curve = (k: KeyObject): string => (k.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "P-384" : k.asymmetricKeyType === "ed25519" ? "Ed25519" : "P-256");

export function floorFor(b: DistinctBundle, rootJson: RootJson): Floor {
  const json = JSON.parse(b.text) as BundleJson;
  const vm = json.verificationMaterial;
  const leafDer = Buffer.from(vm.certificate?.rawBytes ?? vm.x509CertificateChain!.certificates[0]!.rawBytes, "base64");
  const leaf = new X509Certificate(leafDer);
  const chain = rootJson.certificateAuthorities
    .map((ca) => ca.certChain.certificates.map((c) => new X509Certificate(Buffer.from(c.rawBytes, "base64"))))
    .find((ch) => ch[0] !== undefined && leaf.checkIssued(ch[0]) && leaf.verify(ch[0].publicKey));
  if (!chain) throw new Error(`${b.label}: no CA in the root issued the leaf`);
  const counts: Record<string, number> = {};
  const perBundle: [string, () => boolean][] = [];
  const caLinks: [string, () => boolean][] = [];
  const add = (list: [string, () => boolean][], what: string, key: KeyObject, fn: () => boolean): void => {
    const k = `${curve(key)}`;
    counts[k] = (counts[k] ?? 0) + 1;
    list.push([what, fn]);
  };
  // the content signature
  const leafKey = leaf.publicKey;
  let signed: Buffer;
  let sig: Buffer;
  if (json.dsseEnvelope) {
    const env = json.dsseEnvelope;
    const payload = Buffer.from(env.payload, "base64");
    signed = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${payload.length} `), payload]);
    sig = Buffer.from(env.signatures[0]!.sig, "base64");
  } else {
    signed = b.artifact!;
    sig = Buffer.from(json.messageSignature!.signature, "base64");
  }
  add(perBundle, "content signature", leafKey, () => cryptoVerify("sha256", signed, leafKey, sig));
  // the chain: the leaf by its intermediate; every further link is the same for every bundle of the root
  const issuerKey = chain[0]!.publicKey;
  add(perBundle, "leaf certificate", issuerKey, () => leaf.verify(issuerKey));
  for (let i = 1; i < chain.length; i++) {
    const cert = chain[i - 1]!;
    const key = chain[i]!.publicKey;
    add(caLinks, "CA certificate", key, () => cert.verify(key));
  }
  // the SCTs: the precertificate (TBS without the SCT extension) is built here, outside the timed loop
  const core = CoreX509.parse(leafDer);
  const clone = core.clone();
  const at = clone.extensions.findIndex((e) => e.subs[0]!.toOID() === EXTENSION_OID_SCT);
  if (at >= 0) {
    const ext = new X509SCTExtension(clone.extensions[at]!);
    clone.extensions.splice(at, 1);
    const tbs = clone.tbsCertificate.toDER();
    const issuerHash = score.digest("sha256", chain[0]!.publicKey.export({ format: "der", type: "spki" }));
    for (const sct of ext.signedCertificateTimestamps) {
      const log = rootJson.ctlogs.find((l) => Buffer.from(l.logId.keyId, "base64").equals(sct.logID));
      if (!log) continue;
      const key = spki(log.publicKey.rawBytes);
      const len = Buffer.alloc(3);
      len.writeUIntBE(tbs.length, 0, 3);
      const extLen = Buffer.alloc(2);
      extLen.writeUInt16BE(sct.extensions.byteLength);
      const data = Buffer.concat([Buffer.from([sct.version, 0]), sct.timestamp, Buffer.from([0, 1]), issuerHash, len, tbs, extLen, sct.extensions]);
      add(perBundle, "SCT", key, () => cryptoVerify("sha256", data, key, sct.signature));
    }
  }
  // the log: SET over the canonical entry, and the checkpoint's signature by the log
  for (const entry of vm.tlogEntries) {
    const log = rootJson.tlogs.find((t) => t.logId.keyId === entry.logId.keyId)!;
    const logKey = spki(log.publicKey.rawBytes);
    if (entry.inclusionPromise) {
      const payload = Buffer.from(JSON.stringify({ body: entry.canonicalizedBody, integratedTime: Number(entry.integratedTime), logID: Buffer.from(entry.logId.keyId, "base64").toString("hex"), logIndex: Number(entry.logIndex) }));
      const set = Buffer.from(entry.inclusionPromise.signedEntryTimestamp, "base64");
      add(perBundle, "SET", logKey, () => cryptoVerify("sha256", payload, logKey, set));
    }
    if (entry.inclusionProof) {
      const envelope = entry.inclusionProof.checkpoint.envelope;
      const split = envelope.indexOf("\n\n");
      const note = Buffer.from(envelope.slice(0, split + 1));
      const noteSig = Buffer.from(/\u2014 \S+ (\S+)\n/.exec(envelope.slice(split + 2))![1]!, "base64").subarray(4);
      add(perBundle, "checkpoint", logKey, () => cryptoVerify(logKey.asymmetricKeyType === "ed25519" ? null : "sha256", note, logKey, noteSig));
    }
  }
  const run = (list: [string, () => boolean][]) => (): void => {
    for (const [what, fn] of list) if (!fn()) throw new Error(`raw floor of ${b.label}: the ${what} does not verify`);
  };
  const all = run([...perBundle, ...caLinks]);
  all();
  return { counts, all, perBundle: run(perBundle) };
}

/** The real public-good bundles with distinct leaves, each with its subject and signer from its case.json. */
export function realBundles(): { root: RootJson; bundles: DistinctBundle[] } {
  const root = JSON.parse(readFileSync(PRODUCTION_ROOT, "utf8")) as RootJson;
  const bundles = REAL_CASES.map((id): DistinctBundle => {
    const dir = join(CASES, id);
    const c = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as { bundle: string; mode: string; artifact?: string; subjectDigest?: Record<string, string>; identity: string; issuer: string };
    const text = readFileSync(join(dir, c.bundle), "utf8");
    const signer = { kind: "certificate" as const, identity: c.identity, issuer: c.issuer };
    if (c.mode === "artifact") {
      const artifact = readFileSync(join(dir, c.artifact ?? "artifact"));
      return { label: id, text, subject: { kind: "artifact", bytes: artifact }, signer, artifact };
    }
    let digest = c.subjectDigest ? Object.entries(c.subjectDigest)[0] : undefined;
    if (!digest) {
      const env = (JSON.parse(text) as BundleJson).dsseEnvelope!;
      const st = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8")) as { subject: { digest: Record<string, string> }[] };
      digest = Object.entries(st.subject[0]!.digest)[0]!;
    }
    return { label: id, text, subject: { kind: "digest", algorithm: digest[0] as "sha256", hex: digest[1] }, signer };
  });
  return { root, bundles };
}

/** Bundles signed by the tests' own Sigstore, each with a new ephemeral key and leaf certificate. */
export async function ownBundles(n = OWN_BUNDLES): Promise<{ root: RootJson; bundles: DistinctBundle[] }> {
  const world = await createTestSigstore();
  const signer = { kind: "certificate" as const, identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER };
  const bundles: DistinctBundle[] = [];
  for (let i = 0; i < n; i++) {
    const artifact = Buffer.from(`agent-gate distinct bundle ${i}\n`.repeat(64));
    if (i % 2 === 0) {
      const s = await world.sign({ payload: { kind: "message", artifact }, rekor: "v1" });
      bundles.push({ label: `own message ${i}`, text: JSON.stringify(s.bundle), subject: { kind: "artifact", bytes: artifact }, signer, artifact });
    } else {
      const hex = sha256(artifact).toString("hex");
      const statement = { subjects: [{ name: `artifact-${i}`, digest: { sha256: hex } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { buildDefinition: { buildType: "https://agent-gate.dev/agent-run/v1", externalParameters: {} }, runDetails: { builder: { id: DEFAULT_IDENTITY } } } };
      const s = await world.sign({ payload: { kind: "dsse", statement }, rekor: "v1" });
      bundles.push({ label: `own dsse ${i}`, text: JSON.stringify(s.bundle), subject: { kind: "digest", algorithm: "sha256", hex }, signer });
    }
  }
  return { root: world.trustedRoot as unknown as RootJson, bundles };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Plain @sigstore/verify: one Verifier per root, each bundle parsed and verified in full (as its own verify() does). */
export function plainLibrary(root: RootJson): (b: DistinctBundle) => void {
  const verifier = new PlainVerifier(toTrustMaterial(TrustedRoot.fromJSON(root)));
  return (b) => {
    const entity = toSignedEntity(bundleFromJSON(JSON.parse(b.text)), b.artifact);
    verifier.verify(entity, { subjectAlternativeName: `^${escape(b.signer.identity)}$`, extensions: { issuer: b.signer.issuer } });
  };
}

/**
 * Runs fn for about `ms` milliseconds after a warm-up; returns operations per wall-clock second and per second of
 * this process's CPU time (user + system, all threads: GC included). On a shared machine the CPU figure is the steadier.
 */
function opsPerSecond(fn: () => void, ms: number): { wall: number; cpu: number } {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    now = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { wall: (n * 1000) / (now - start), cpu: (n * 1e6) / (c.user + c.system) };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
function cycle<T>(items: readonly T[], fn: (t: T) => void): () => void {
  let i = 0;
  return () => {
    fn(items[i]!);
    i = (i + 1) % items.length;
  };
}

export async function benchDistinct(rounds = 7, ms = 400): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [set, load] of [["own Sigstore, 50 leaves", ownBundles], ["public-good, 9 leaves", async () => Promise.resolve(realBundles())]] as const) {
    const { root, bundles } = await load();
    const ours = createVerifier({ trustedRoot: root, verdictCacheSize: 0, certificateCacheSize: 1 });
    const plain = plainLibrary(root);
    for (const b of bundles) {
      const o = ours.verify({ bundle: b.text, subject: b.subject, signer: b.signer });
      if (!o.ok) throw new Error(`${b.label} does not verify: ${o.code} ${o.message}`);
      plain(b);
    }
    const floors = bundles.map((b) => floorFor(b, root));
    const counts: Record<string, number> = {};
    for (const f of floors) for (const [k, v] of Object.entries(f.counts)) counts[k] = (counts[k] ?? 0) + v / floors.length;
    const fns = {
      floor: cycle(floors, (f) => f.all()),
      floorPerBundle: cycle(floors, (f) => f.perBundle()),
      ours: cycle(bundles, (b) => void ours.verify({ bundle: b.text, subject: b.subject, signer: b.signer })),
      plain: cycle(bundles, plain),
    };
    const wall: Record<keyof typeof fns, number[]> = { floor: [], floorPerBundle: [], ours: [], plain: [] };
    const cpu: Record<keyof typeof fns, number[]> = { floor: [], floorPerBundle: [], ours: [], plain: [] };
    // interleaved rounds, median of each: a slow moment on a shared machine then hits every column alike
    for (let i = 0; i < rounds; i++) {
      for (const k of Object.keys(fns) as (keyof typeof fns)[]) {
        const o = opsPerSecond(fns[k], ms);
        wall[k].push(o.wall);
        cpu[k].push(o.cpu);
      }
    }
    const floor = median(cpu.floor);
    const perBundle = median(cpu.floorPerBundle);
    const checks = Object.entries(counts).map(([k, v]) => `${Number(v.toFixed(2))} x ${k}`).join(" + ");
    const row = (measurement: string, k: keyof typeof fns): Row => {
      const v = median(cpu[k]);
      return { bundles: set, measurement, "verif/s": Math.round(median(wall[k])), "verif/CPU-s": Math.round(v), "% of floor": `${Math.round((100 * v) / floor)}%`, "% of per-bundle floor": `${Math.round((100 * v) / perBundle)}%` };
    };
    rows.push(row(`raw node:crypto floor (${checks} per bundle)`, "floor"));
    rows.push(row("raw floor without the CA link (the same for every bundle)", "floorPerBundle"));
    rows.push(row("agent-gate (verdict cache off, certificate cache 1)", "ours"));
    rows.push(row("plain @sigstore/verify 3.1.1", "plain"));
  }
  return rows;
}
