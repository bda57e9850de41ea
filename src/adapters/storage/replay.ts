// Replaying a recorded decision: the stored (masked) input evaluated again with the stored policy bundle,
// and the result compared with the recorded one. The policy engine implements Replayer.
import { canonicalize } from "../../core/digest.js";
import type { AuditRecord } from "../../core/audit.js";
import type { AuditLog } from "./audit-log.js";
import type { BundleStore, PolicyBundle } from "./bundle-store.js";

export interface Replayer {
  /** The engine's own digest of a bundle, to check that the stored bytes are the ones the decision names. */
  digest?(bundle: PolicyBundle): string;
  /**
   * Evaluates `input` at `entrypoint` with the bundle and `data` (the recorded data document; the bundle's own
   * when undefined); returns the result in the recorded shape ({allow, deny, warn}).
   */
  evaluate(bundle: PolicyBundle, entrypoint: string, input: unknown, data: unknown): Promise<unknown>;
}

export type ReplayOutcome =
  | { readonly status: "not-found"; readonly decisionId: string }
  | { readonly status: "bundle-unavailable"; readonly decisionId: string; readonly digest: string | undefined; readonly reason: string }
  | { readonly status: "engine-unavailable"; readonly decisionId: string; readonly digest: string }
  | {
      readonly status: "reproduced" | "differs";
      readonly decisionId: string;
      readonly digest: string;
      readonly recorded: unknown;
      readonly replayed: unknown;
      /** Input paths masked before storage: a difference may come from masking, not from the policy. */
      readonly masked: readonly string[];
    };

function bundleDigest(r: AuditRecord): string | undefined {
  const [first] = Object.values(r.bundles);
  return first?.digest;
}

export async function replayDecision(
  log: Pick<AuditLog, "get">,
  bundles: BundleStore,
  replayer: Replayer | undefined,
  decisionId: string,
): Promise<ReplayOutcome> {
  const record = await log.get(decisionId);
  if (!record) return { status: "not-found", decisionId };
  const digest = bundleDigest(record);
  if (!digest) return { status: "bundle-unavailable", decisionId, digest, reason: "the record names no policy bundle" };
  const bundle = await bundles.get(digest);
  if (!bundle) return { status: "bundle-unavailable", decisionId, digest, reason: `no policy bundle with digest ${digest} is stored` };
  if (!replayer) return { status: "engine-unavailable", decisionId, digest };
  if (replayer.digest && replayer.digest(bundle) !== digest) {
    return { status: "bundle-unavailable", decisionId, digest, reason: `the stored bundle's content does not hash to ${digest}: it was altered` };
  }
  const dataDigest = record.agent_gate.policy_data_digest ?? undefined;
  const data = dataDigest ? await bundles.getData(dataDigest) : undefined;
  if (dataDigest && data === undefined) {
    return { status: "bundle-unavailable", decisionId, digest, reason: `the policy data document ${dataDigest} the decision used is not stored` };
  }
  const replayed = await replayer.evaluate(bundle, record.path, record.input, data);
  const same = canonicalize(replayed) === canonicalize(record.result);
  return { status: same ? "reproduced" : "differs", decisionId, digest, recorded: record.result, replayed, masked: record.masked.filter((p) => p.startsWith("/input/")) };
}
