// The one sha256 helper: lowercase hex of UTF-8 text or bytes (prompt digests, bundle digests, audit chains, policy
// bundles). Canonical JSON (RFC 8785 ordering, for digests of values) is core/audit.ts `canonicalize`.
import { createHash } from "node:crypto";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
