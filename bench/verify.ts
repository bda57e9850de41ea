// Sigstore verification throughput on real public-good bundles (c04 message signature, c05 DSSE in-toto) beside
// the raw node:crypto floor: the same signature checks done directly (artifact or PAE signature, SET, checkpoint,
// leaf <- intermediate <- root), nothing else. Also whole-process time of the CLI against cosign verify-blob.
// The distinct-bundles table (bench/verify-distinct.ts) comes first: a new leaf per bundle, the case that matters.
// Run: node --import tsx bench/verify.ts   (or npm run bench -- verify)
import { spawnSync } from "node:child_process";
import { X509Certificate, createPublicKey, verify as cryptoVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createVerifier } from "../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../src/adapters/sigstore/verifier.js";
import { printTable } from "./table.js";
import type { Row } from "./table.js";
import { benchDistinct } from "./verify-distinct.js";

const CASES = "fixtures/sigstore/cases";
const ROOT_PATH = "trust/sigstore-production.json";
const COSIGN = ".tools/bin/cosign";
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

interface TrustedRootJson {
  tlogs: { logId: { keyId: string }; publicKey: { rawBytes: string } }[];
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
}
interface BundleJson {
  verificationMaterial: {
    certificate?: { rawBytes: string };
    tlogEntries: {
      logIndex: string;
      logId: { keyId: string };
      integratedTime: string;
      inclusionPromise: { signedEntryTimestamp: string };
      inclusionProof: { checkpoint: { envelope: string } };
      canonicalizedBody: string;
    }[];
  };
  messageSignature?: { signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string }[] };
}

/** Measures fn for about `ms` milliseconds after a warm-up; returns operations per second. */
function opsPerSecond(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

// The signature checks a verification cannot avoid, done directly with node:crypto on pre-parsed inputs.
function rawFloor(bundle: BundleJson, artifact: Buffer, root: TrustedRootJson, withChain = true): () => void {
  const leaf = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate!.rawBytes, "base64"));
  const chain = root.certificateAuthorities
    .map((ca) => ca.certChain.certificates.map((c) => new X509Certificate(Buffer.from(c.rawBytes, "base64"))))
    .find((ch) => ch[0] !== undefined && leaf.checkIssued(ch[0]) && leaf.verify(ch[0].publicKey));
  if (!chain) throw new Error("no CA in the root issued the leaf");
  const links: [X509Certificate, KeyObject][] = [[leaf, chain[0]!.publicKey]];
  for (let i = 1; i < chain.length; i++) links.push([chain[i - 1]!, chain[i]!.publicKey]);
  const entry = bundle.verificationMaterial.tlogEntries[0]!;
  const log = root.tlogs.find((t) => t.logId.keyId === entry.logId.keyId)!;
  const logKey = createPublicKey({ key: Buffer.from(log.publicKey.rawBytes, "base64"), format: "der", type: "spki" });
  // SET: the log's signature over the canonical JSON of the entry (keys in sorted order)
  const setPayload = Buffer.from(
    JSON.stringify({ body: entry.canonicalizedBody, integratedTime: Number(entry.integratedTime), logID: Buffer.from(entry.logId.keyId, "base64").toString("hex"), logIndex: Number(entry.logIndex) }),
  );
  const set = Buffer.from(entry.inclusionPromise.signedEntryTimestamp, "base64");
  const envelope = entry.inclusionProof.checkpoint.envelope;
  const split = envelope.indexOf("\n\n");
  const note = Buffer.from(envelope.slice(0, split + 1));
  const noteSig = Buffer.from(/\u2014 \S+ (\S+)\n/.exec(envelope.slice(split + 2))![1]!, "base64").subarray(4);
  const leafKey = leaf.publicKey;
  let signed: Buffer;
  let sig: Buffer;
  if (bundle.dsseEnvelope) {
    const env = bundle.dsseEnvelope;
    const payload = Buffer.from(env.payload, "base64");
    signed = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${payload.length} `), payload]);
    sig = Buffer.from(env.signatures[0]!.sig, "base64");
  } else {
    signed = artifact;
    sig = Buffer.from(bundle.messageSignature!.signature, "base64");
  }
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`raw floor: ${what} does not verify`);
  };
  const floor = (): void => {
    check(cryptoVerify("sha256", signed, leafKey, sig), "the signature");
    check(cryptoVerify("sha256", setPayload, logKey, set), "the SET");
    check(cryptoVerify("sha256", note, logKey, noteSig), "the checkpoint");
    if (withChain) for (const [cert, key] of links) check(cert.verify(key), "a certificate");
  };
  floor();
  return floor;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function processMs(cmd: string, args: string[], runs = 5): number | string {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    times.push(performance.now() - t0);
    if (r.status !== 0) return `failed (exit ${r.status ?? "?"}): ${(r.stderr || r.stdout).trim().split("\n").pop() ?? ""}`;
  }
  return median(times);
}

export async function benchVerify(): Promise<Row[]> {
  // distinct bundles first (what real traffic is: a new leaf per push), in their own table
  printTable("Distinct bundles cycled through one warm verifier (verdict cache off, certificate cache 1) vs plain @sigstore/verify and the raw floor", await benchDistinct());
  const root = JSON.parse(readFileSync(ROOT_PATH, "utf8")) as TrustedRootJson;
  const signer: SignerPolicy = { kind: "certificate", identity: IDENTITY, issuer: ISSUER };
  const rows: Row[] = [];
  for (const [id, label] of [["c04-msg-v0.3-happy", "message signature (c04)"], ["c05-dsse-intoto-slsa-v0.3", "DSSE in-toto (c05)"]] as const) {
    const text = readFileSync(`${CASES}/${id}/bundle.sigstore.json`, "utf8");
    const bundle = JSON.parse(text) as BundleJson;
    const artifact = readFileSync(`${CASES}/${id}/artifact`);
    const subject: SubjectSpec = { kind: "artifact", bytes: artifact };
    const floorFn = rawFloor(bundle, artifact, root);
    const floorNoChainFn = rawFloor(bundle, artifact, root, false);
    const cached = createVerifier({ trustedRoot: root });
    const uncached = createVerifier({ trustedRoot: root, verdictCacheSize: 0 });
    for (const v of [cached, uncached]) {
      const o = v.verify({ bundle: text, subject, signer });
      if (!o.ok) throw new Error(`${id} does not verify: ${o.code} ${o.message}`);
    }
    // interleaved rounds, median of each: the machine may be shared, and a slow moment then hits every column alike
    const rounds = { floor: [] as number[], floorNoChain: [] as number[], cached: [] as number[], full: [] as number[] };
    for (let r = 0; r < 5; r++) {
      rounds.floor.push(opsPerSecond(floorFn, 300));
      rounds.floorNoChain.push(opsPerSecond(floorNoChainFn, 300));
      rounds.full.push(opsPerSecond(() => void uncached.verify({ bundle: text, subject, signer }), 300));
      rounds.cached.push(opsPerSecond(() => void cached.verify({ bundle: text, subject, signer }), 300));
    }
    const floor = median(rounds.floor);
    const floorNoChain = median(rounds.floorNoChain);
    const warmFull = median(rounds.full);
    const warmCached = median(rounds.cached);
    const cold = opsPerSecond(() => void createVerifier({ trustedRoot: root, verdictCacheSize: 0 }).verify({ bundle: text, subject, signer }), 500);
    rows.push({ bundle: label, measurement: "raw node:crypto floor (sig, SET, checkpoint, chain)", "verif/s": Math.round(floor), "vs floor": 1 });
    rows.push({ bundle: label, measurement: "agent-gate warm, verdict cache hit", "verif/s": Math.round(warmCached), "vs floor": warmCached / floor });
    rows.push({ bundle: label, measurement: "agent-gate warm, full check (chain cache only)", "verif/s": Math.round(warmFull), "vs floor": warmFull / floor });
    // the chain is cached per leaf, so the fair floor for a warm repeat of the same signer leaves the chain out
    rows.push({ bundle: label, measurement: "raw floor without the chain (sig, SET, checkpoint)", "verif/s": Math.round(floorNoChain), "vs floor": floorNoChain / floor });
    rows.push({ bundle: label, measurement: "agent-gate warm full check vs floor without chain", "verif/s": "", "vs floor": warmFull / floorNoChain });
    rows.push({ bundle: label, measurement: "agent-gate cold (new verifier per call)", "verif/s": Math.round(cold), "vs floor": cold / floor });
  }

  // whole process: the built CLI against cosign verify-blob on the same bundle and artifact
  const c04 = `${CASES}/c04-msg-v0.3-happy`;
  const policyArgs = ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER];
  const ours = existsSync("dist/cli/verify-bundle.js")
    ? processMs(process.execPath, ["bin/agent-gate.js", "verify-bundle", "--bundle", `${c04}/bundle.sigstore.json`, ...policyArgs, `${c04}/artifact`])
    : "not built (npx tsc -p tsconfig.build.json)";
  const cosign = existsSync(COSIGN)
    ? processMs(COSIGN, ["verify-blob", "--bundle", `${c04}/bundle.sigstore.json`, "--trusted-root", ROOT_PATH, "--offline", ...policyArgs, `${c04}/artifact`])
    : "cosign not installed";
  const ratio = typeof ours === "number" && typeof cosign === "number" ? cosign / ours : "";
  rows.push({ bundle: "message signature (c04)", measurement: "process: node bin/agent-gate.js verify-bundle (median ms)", "ms/run": typeof ours === "number" ? Math.round(ours) : ours, "cosign/agent-gate": ratio });
  rows.push({ bundle: "message signature (c04)", measurement: "process: cosign verify-blob (median ms)", "ms/run": typeof cosign === "number" ? Math.round(cosign) : cosign });
  return Promise.resolve(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printTable("Sigstore verification (warm in-process vs the raw node:crypto floor; whole process vs cosign)", await benchVerify());
}
