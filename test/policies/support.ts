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

/** The rules each case in fixtures/policy denies (and warns, where not the default), as a reviewer expects them. */
export const EXPECTED: Record<string, { deny: string[]; warn?: string[] }> = {
  "pr-signed-agent-passes": { deny: [] },
  "pr-unsigned-head": { deny: ["provenance-coverage"] },
  "pr-replayed-provenance": { deny: ["provenance-coverage"] },
  "pr-untrusted-signer": { deny: ["signers"] },
  "pr-human": { deny: [] },
  "pr-workflow-change-unapproved": { deny: ["human-approval", "protected-paths"] },
  "pr-workflow-change-approved": { deny: [] },
  "pr-prompter-self-approval": { deny: ["human-approval"] },
  "pr-prompt-with-secret": { deny: ["prompt"] },
  "pr-unlisted-model": { deny: ["model-governance"] },
  "pr-too-large": { deny: ["size"] },
  "pr-markup-in-facts": { deny: ["model-governance"] },
  // Signers in warn mode hold back the signers finding, never the organisation's list; the commits rest on the
  // revoked signer's statements, so the model rule judges them (the model's expiry warns).
  "pr-revoked-signer-signers-warn": { deny: ["revoked"] },
  // Signers in warn mode hold back the signers finding, never the enforced model rule.
  "pr-unlisted-model-signers-warn": { deny: ["model-governance"], warn: [] },
  "deploy-staging-passes": { deny: [] },
  "deploy-production-agent-unapproved": { deny: ["deployment-approval"] },
  "deploy-production-agent-approved": { deny: [] },
  "deploy-unsigned-artifact": { deny: ["deployment-attestations"], warn: ["deployment-attestations"] },
  "deploy-untrusted-builder": { deny: ["deployment-builders"] },
  "deploy-failed-gate": { deny: ["pr-gate"] },
  "deploy-never-gated": { deny: ["pr-gate"] },
  "deploy-wrong-region": { deny: ["data-residency"] },
  // Revoked by its TBS fingerprint: the DER fingerprint (another encoding of the same certificate) differs.
  "deploy-revoked-certificate-reencoded": { deny: ["revoked"] },
};

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
