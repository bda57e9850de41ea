// Shared by the policy tests and the benchmark: the hand-written cases in fixtures/policy and the opa binary.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { policyData, validateRepoConfig } from "../../src/config/repo-config.js";
import { type RevokedData, validateRevocations } from "../../src/config/revocations.js";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const OPA = join(ROOT, ".tools/bin/opa");
export const hasOpa = existsSync(OPA);

export interface PolicyCase {
  name: string;
  note?: string;
  entrypoint: "pull_request" | "deployment";
  config: unknown;
  /** The owner's revocation list (the file's content), when the case has one. */
  revoked?: unknown;
  input: Record<string, unknown>;
}

export function loadCases(): PolicyCase[] {
  const dir = join(ROOT, "fixtures/policy");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as PolicyCase);
}

/** The policy data for a partial config (and a revocation list, if any), as the host builds it. */
export function dataFor(config: unknown, revoked?: unknown): { config: unknown; revoked?: RevokedData } {
  const r = validateRepoConfig(config);
  if (!r.ok) throw new Error(r.messages.join("\n"));
  if (revoked === undefined) return policyData(r.config);
  const l = validateRevocations(revoked);
  if (!l.ok) throw new Error(l.messages.join("\n"));
  const { version: _, ...lists } = l.revocations;
  const source = "acme/.github:.github/agent-gate-revocations.yml (default branch)";
  return { ...policyData(r.config), revoked: { ...lists, source, digest: `sha256:${"e".repeat(64)}` } };
}

export const entrypointName = (e: "pull_request" | "deployment") => `agent_gate/${e}/decision`;
