// Fake transparency logs: Rekor v1 (SET + inclusion proof + signed checkpoint) and Rekor v2 (rekor-tiles:
// inclusion proof + checkpoint only, no SET, no integrated time; log id = C2SP checkpoint key id).
import { Buffer } from "node:buffer";
import { generateKeyPairSync, randomBytes, randomInt, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { canonicalJson } from "./rekor-requests.js";
import type { TlogEntryJson } from "./bundle.js";
import { MerkleTree } from "./merkle.js";
import { sha256 } from "./keys.js";

export interface FakeLog {
  readonly version: 1 | 2;
  readonly origin: string; // the checkpoint origin (host, no scheme)
  readonly baseUrl: string;
  readonly publicKey: KeyObject;
  readonly spki: Buffer;
  readonly keyDetails: "PKIX_ECDSA_P256_SHA_256" | "PKIX_ED25519";
  readonly logId: Buffer;
}

type Json = Record<string, unknown>;
const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const FILLERS_AFTER = 2; // entries others logged after ours, so proofs have hashes on both sides

abstract class LogBase {
  protected readonly tree = new MerkleTree();
  constructor(
    readonly origin: string,
    protected readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
    readonly logId: Buffer,
  ) {
    const before = randomInt(3, 12);
    for (let i = 0; i < before; i++) this.tree.append(randomBytes(64));
  }

  get baseUrl(): string {
    return `https://${this.origin}`;
  }

  get spki(): Buffer {
    return this.publicKey.export({ format: "der", type: "spki" });
  }

  protected append(body: Buffer): { index: number; size: number; hashes: Buffer[]; rootHash: Buffer } {
    const index = this.tree.append(body);
    for (let i = 0; i < FILLERS_AFTER; i++) this.tree.append(randomBytes(64));
    const size = this.tree.size;
    return { index, size, hashes: this.tree.inclusionProof(index, size), rootHash: this.tree.rootHash(size) };
  }

  protected signedNote(note: string, signature: Buffer): string {
    return `${note}\n\u2014 ${this.origin} ${b64(Buffer.concat([this.logId.subarray(0, 4), signature]))}\n`;
  }
}

export class FakeRekorV1 extends LogBase implements FakeLog {
  readonly version = 1 as const;
  readonly keyDetails = "PKIX_ECDSA_P256_SHA_256" as const;
  private readonly treeId = randomInt(2 ** 40);

  constructor(origin = "rekor.agent-gate.test") {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    super(origin, privateKey, publicKey, sha256(publicKey.export({ format: "der", type: "spki" })));
  }

  /** Logs a proposed entry (see rekorV1ProposedEntry) as Rekor v1 would store it. */
  log(proposed: Json, integratedTime: Date): TlogEntryJson {
    const body = Buffer.from(canonicalJson(storedV1Body(proposed)), "utf8");
    const { index, size, hashes, rootHash } = this.append(body);
    const time = Math.floor(integratedTime.getTime() / 1000);
    const logIdHex = this.logId.toString("hex");
    const set = sign("sha256", Buffer.from(canonicalJson({ body: b64(body), integratedTime: time, logID: logIdHex, logIndex: index })), this.privateKey);
    const note = `${this.origin} - ${this.treeId}\n${size}\n${b64(rootHash)}\nTimestamp: ${BigInt(time) * 1_000_000_000n}\n`;
    return {
      logIndex: String(index),
      logId: { keyId: b64(this.logId) },
      kindVersion: { kind: String(proposed.kind), version: String(proposed.apiVersion) },
      integratedTime: String(time),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      inclusionProof: {
        logIndex: String(index),
        rootHash: b64(rootHash),
        treeSize: String(size),
        hashes: hashes.map((h) => b64(h)),
        checkpoint: { envelope: this.signedNote(note, sign("sha256", Buffer.from(note), this.privateKey)) },
      },
      canonicalizedBody: b64(body),
    };
  }
}

// Rekor v1 keeps hashedrekord as proposed but reduces dsse/intoto entries to hashes, signatures and keys
function storedV1Body(proposed: Json): Json {
  const spec = proposed.spec as Json;
  if (proposed.kind === "dsse") {
    const pc = spec.proposedContent as { envelope: string; verifiers: string[] };
    const env = JSON.parse(pc.envelope) as { payload: string; signatures: { sig: string }[] };
    return {
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: sha256(Buffer.from(canonicalJson(env))).toString("hex") },
        payloadHash: { algorithm: "sha256", value: sha256(Buffer.from(env.payload, "base64")).toString("hex") },
        signatures: env.signatures.map((s, i) => ({ signature: s.sig, verifier: pc.verifiers[i] ?? pc.verifiers[0] })),
      },
    };
  }
  if (proposed.kind === "intoto") {
    const content = structuredClone(spec.content) as { envelope: Json };
    delete content.envelope.payload;
    return { ...proposed, spec: { content } };
  }
  return proposed;
}

export class FakeRekorV2 extends LogBase implements FakeLog {
  readonly version = 2 as const;
  readonly keyDetails: "PKIX_ECDSA_P256_SHA_256" | "PKIX_ED25519";

  constructor(opts: { origin?: string; keyType?: "ed25519" | "ecdsa" } = {}) {
    const origin = opts.origin ?? "log2026-1.rekor.agent-gate.test";
    const ed = (opts.keyType ?? "ed25519") === "ed25519";
    const { privateKey, publicKey } = ed ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
    super(origin, privateKey, publicKey, checkpointKeyId(origin, publicKey));
    this.keyDetails = ed ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256";
  }

  /** Logs a create-entry request (see rekorV2Request) as rekor-tiles would: no SET, no integrated time. */
  log(request: Json): TlogEntryJson {
    const entry = storedV2Body(request);
    const body = Buffer.from(canonicalJson(entry), "utf8");
    const { index, size, hashes, rootHash } = this.append(body);
    const note = `${this.origin}\n${size}\n${b64(rootHash)}\n`;
    const sig = this.keyDetails === "PKIX_ED25519" ? sign(null, Buffer.from(note), this.privateKey) : sign("sha256", Buffer.from(note), this.privateKey);
    return {
      logIndex: String(index),
      logId: { keyId: b64(this.logId) },
      kindVersion: { kind: String(entry.kind), version: "0.0.2" },
      inclusionProof: {
        logIndex: String(index),
        rootHash: b64(rootHash),
        treeSize: String(size),
        hashes: hashes.map((h) => b64(h)),
        checkpoint: { envelope: this.signedNote(note, sig) },
      },
      canonicalizedBody: b64(body),
    };
  }
}

function storedV2Body(request: Json): Json {
  if ("hashedRekordRequestV002" in request) {
    const r = request.hashedRekordRequestV002 as { digest: string; signature: Json };
    return { apiVersion: "0.0.2", kind: "hashedrekord", spec: { hashedRekordV002: { data: { algorithm: "SHA2_256", digest: r.digest }, signature: r.signature } } };
  }
  const r = request.dsseRequestV002 as { envelope: { payload: string; signatures: { sig: string }[] }; verifiers: Json[] };
  return {
    apiVersion: "0.0.2",
    kind: "dsse",
    spec: {
      dsseV002: {
        payloadHash: { algorithm: "SHA2_256", digest: b64(sha256(Buffer.from(r.envelope.payload, "base64"))) },
        signatures: r.envelope.signatures.map((s, i) => ({ content: s.sig, verifier: r.verifiers[i] ?? r.verifiers[0] })),
      },
    },
  };
}

/** C2SP signed-note key id: Ed25519 hashes name, newline, type 0x01 and the raw key; ECDSA hashes the SPKI. */
export function checkpointKeyId(origin: string, publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ format: "der", type: "spki" });
  if (publicKey.asymmetricKeyType === "ed25519") {
    return sha256(Buffer.from(`${origin}\n`, "utf8"), Buffer.from([0x01]), spki.subarray(spki.length - 32));
  }
  return sha256(spki);
}
