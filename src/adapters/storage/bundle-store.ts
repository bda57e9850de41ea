// Policy bundles and data documents kept by digest beside the audit log, so that a recorded decision can be
// replayed with the exact policy and data that made it. Content-addressed: the key is the digest of the
// content, recomputed on every read, so a bundle edited in the database is refused, never evaluated.
import { canonicalize, sha256Hex } from "../../core/digest.js";
import { AgentGateError } from "../../core/errors.js";
import { isDeepFrozen } from "../../core/freeze.js";
import type { Db, Queryable } from "./db.js";

export interface PolicyBundle {
  readonly digest: string; // as in the decision's bundles.<name>.digest
  readonly revision: string;
  readonly wasm: Uint8Array;
  readonly data: string; // data.json as the bundle ships it
}

export interface BundleStore {
  /** Stores the bundle unless it is there already; refuses one whose digest does not match its content. */
  put(bundle: PolicyBundle): Promise<void>;
  get(digest: string): Promise<PolicyBundle | undefined>;
  getData(digest: string): Promise<unknown>;
}

/** The policy engine's digest of a bundle: sha256 over policy.wasm followed by the data bytes. */
export function contentDigest(wasm: Uint8Array, data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const both = new Uint8Array(wasm.byteLength + bytes.byteLength);
  both.set(wasm, 0);
  both.set(bytes, wasm.byteLength);
  return `sha256:${sha256Hex(both)}`;
}

/** The digest of a data document: sha256 of its canonical JSON. */
export function dataDigest(data: unknown): string {
  return dataDocument(data).digest;
}

// A deep-frozen data document (the gate's, shared between events) cannot change, so its text and digest are kept
// with it for as long as it lives; any other is canonicalised on every call.
const documents = new WeakMap<object, { digest: string; text: string }>();

/** A data document as stored: its canonical JSON and the digest of that text. */
export function dataDocument(data: unknown): { digest: string; text: string } {
  const frozen = isDeepFrozen(data) ? (data as object) : undefined;
  const known = frozen && documents.get(frozen);
  if (known) return known;
  const text = canonicalize(data);
  const doc = Object.freeze({ digest: `sha256:${sha256Hex(text)}`, text });
  if (frozen) documents.set(frozen, doc);
  return doc;
}

export async function putData(q: Queryable, data: unknown): Promise<string> {
  const { digest, text } = dataDocument(data);
  await q.query("INSERT INTO policy_data (digest, data) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING", [digest, text]);
  return digest;
}

export class SqlBundleStore implements BundleStore {
  constructor(private readonly db: Db) {}

  async put(b: PolicyBundle): Promise<void> {
    const actual = contentDigest(b.wasm, b.data);
    if (actual !== b.digest) {
      throw new AgentGateError("BUNDLE_DIGEST_MISMATCH", `expected the policy bundle's content to hash to ${b.digest}, it hashes to ${actual}`, "internal");
    }
    await this.db.query("INSERT INTO policy_bundles (digest, revision, wasm, data) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING", [
      b.digest,
      b.revision,
      b.wasm,
      b.data,
    ]);
  }

  async get(digest: string): Promise<PolicyBundle | undefined> {
    const [r] = await this.db.query<{ revision: string; wasm: Uint8Array; data: string }>("SELECT revision, wasm, data FROM policy_bundles WHERE digest = $1", [digest]);
    if (!r) return undefined;
    const wasm = new Uint8Array(r.wasm);
    if (contentDigest(wasm, r.data) !== digest) {
      throw new AgentGateError("BUNDLE_CORRUPT", `the stored policy bundle ${digest} no longer hashes to its digest: it was altered in the database`, "internal");
    }
    return { digest, revision: r.revision, wasm, data: r.data };
  }

  async getData(digest: string): Promise<unknown> {
    const [r] = await this.db.query<{ data: string }>("SELECT data FROM policy_data WHERE digest = $1", [digest]);
    if (!r) return undefined;
    const data = JSON.parse(r.data) as unknown;
    if (dataDigest(data) !== digest) {
      throw new AgentGateError("BUNDLE_CORRUPT", `the stored policy data ${digest} no longer hashes to its digest: it was altered in the database`, "internal");
    }
    return data;
  }
}
