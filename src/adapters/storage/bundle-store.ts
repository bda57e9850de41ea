// Policy bundles kept by digest beside the audit log, so that a recorded decision can be replayed with the
// exact policy that made it. The key is the digest the decision carries (PolicyRef.digest); the stored
// bytes' own sha256 sums are checked on every read, so a bundle edited in the database is never evaluated.
import { sha256Hex } from "../../core/audit.js";
import { AgentGateError } from "../../core/errors.js";
import type { Db } from "./db.js";

export interface PolicyBundle {
  readonly digest: string; // as in the decision's bundles.<name>.digest
  readonly revision: string;
  readonly wasm: Uint8Array;
  readonly data: string; // data.json as text
}

export interface BundleStore {
  /** Stores the bundle unless one with this digest is there already (content-addressed: it is the same). */
  put(bundle: PolicyBundle): Promise<void>;
  get(digest: string): Promise<PolicyBundle | undefined>;
}

/**
 * The digest of a bundle's content when the engine does not supply its own: sha256 over the sha256 of the
 * wasm and of data.json, so neither can be moved into the other.
 */
export function contentDigest(wasm: Uint8Array, data: string): string {
  return `sha256:${sha256Hex(`${sha256Hex(wasm)}\n${sha256Hex(data)}\n`)}`;
}

export class SqlBundleStore implements BundleStore {
  constructor(private readonly db: Db) {}

  async put(b: PolicyBundle): Promise<void> {
    await this.db.query(
      "INSERT INTO policy_bundles (digest, revision, wasm, data, wasm_sha256, data_sha256) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING",
      [b.digest, b.revision, b.wasm, b.data, sha256Hex(b.wasm), sha256Hex(b.data)],
    );
  }

  async get(digest: string): Promise<PolicyBundle | undefined> {
    const [r] = await this.db.query<{ revision: string; wasm: Uint8Array; data: string; wasm_sha256: string; data_sha256: string }>(
      "SELECT revision, wasm, data, wasm_sha256, data_sha256 FROM policy_bundles WHERE digest = $1",
      [digest],
    );
    if (!r) return undefined;
    const wasm = new Uint8Array(r.wasm);
    if (sha256Hex(wasm) !== r.wasm_sha256 || sha256Hex(r.data) !== r.data_sha256) {
      throw new AgentGateError("BUNDLE_CORRUPT", `the stored policy bundle ${digest} no longer matches its sha256 sums: it was altered in the database`, "internal");
    }
    return { digest, revision: r.revision, wasm, data: r.data };
  }
}
