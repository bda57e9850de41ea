// Generates what is derived from the zod schemas and the error catalogue: the JSON Schemas in docs/, the policy
// bundle's default data (policies/rego/data.json) and docs/errors.md. `--check` compares instead of writing and exits 1 when anything is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { DeploymentInput, PullRequestInput } from "../src/core/policy-input.js";
import { RepoConfig, defaultRepoConfig, policyData } from "../src/config/repo-config.js";
import { canonicalize as canonicalJson } from "../src/core/digest.js";
import { ERROR_CODES, type ErrorEntry, type ErrorKind } from "../src/core/errors.js";
import { DEFAULT_AGENT_ACCOUNTS } from "../src/core/agents.js";
import { VERIFICATION_CODES } from "../src/core/verification.js";
import { COMMIT_VERIFICATION_CODES } from "../src/adapters/sigstore/gitsign.js";
import { CLI_CODES, type CliCodeEntry } from "../src/cli/codes.js";

export function generatedDocs(): Record<string, string> {
  const schema = (s: z.ZodType, io: "input" | "output", title: string, id: string) =>
    JSON.stringify({ ...z.toJSONSchema(s, { io, unrepresentable: "any" }), $id: id, title }, null, 2) + "\n";
  return {
    "docs/policy-input.pull-request.schema.json": schema(PullRequestInput, "output", "agent-gate policy input v1: pull request", "policy-input.pull-request.schema.json"),
    "docs/policy-input.deployment.schema.json": schema(DeploymentInput, "output", "agent-gate policy input v1: deployment", "policy-input.deployment.schema.json"),
    "docs/agent-gate-config.schema.json": schema(RepoConfig, "input", "agent-gate .github/agent-gate.yml", "agent-gate-config.schema.json"),
    // Sorted keys, one line: the bytes must not depend on the order the schema lists fields in.
    "policies/rego/data.json": canonicalJson(policyData(defaultRepoConfig())) + "\n",
    "docs/errors.md": errorsDoc(ERROR_CODES),
    "policies/rego/agent_accounts.rego": agentAccountsRego(),
  };
}

/** The known agent accounts' ids by lower-case login, for matching a revoked platform signer by any of its logins. */
export function agentAccountsRego(): string {
  const ids = new Map<string, number>();
  for (const a of DEFAULT_AGENT_ACCOUNTS) ids.set(a.login.toLowerCase(), a.id);
  return [
    "# Generated from DEFAULT_AGENT_ACCOUNTS in src/core/agents.ts by `npm run docs:gen`; do not edit by hand.",
    "# The known agent accounts' ids by lower-case login: a revoked platform signer is named by any login GitHub uses",
    "# for its account (REST `Copilot`, GraphQL `copilot-swe-agent[bot]`), revocation_lib.rego.",
    "package agent_gate.lib",
    "",
    "known_agent_account_ids := {",
    ...[...ids].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([login, id]) => `\t${JSON.stringify(login)}: ${id},`),
    "}",
    "",
  ].join("\n");
}

const KIND_MEANING: Record<ErrorKind, string> = {
  "invalid-input": "final: the same input fails the same way; fix what the message names",
  transient: "a fault that a later attempt may not meet; the App re-queues the evaluation",
  internal: "a bug or a broken invariant (tampering, a misbehaving dependency); the evaluation fails closed",
};

/** The codes reported beside the error catalogue's: the command line's own and the verifiers' outcomes. */
export interface OtherCodes {
  readonly cli: Readonly<Record<string, CliCodeEntry>>;
  readonly verification: Readonly<Record<string, string>>;
  readonly commit: Readonly<Record<string, string>>;
}

const OTHER_CODES: OtherCodes = { cli: CLI_CODES, verification: VERIFICATION_CODES, commit: COMMIT_VERIFICATION_CODES };

/** docs/errors.md: one row per code of the catalogue in src/core/errors.ts, then the other codes' tables, sorted by code. */
export function errorsDoc(codes: Record<string, ErrorEntry>, other: OtherCodes = OTHER_CODES): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const rows = sorted(codes).map(([code, e]) => `| \`${code}\` | ${e.kinds.join(", ")} | ${cell(e.summary)} |`);
  return [
    "# Error codes",
    "",
    "<!-- Generated from ERROR_CODES in src/core/errors.ts by `npm run docs:gen`; do not edit by hand. -->",
    "",
    "Every refusal and failure agent-gate reports carries one of the codes of this page: in the check run (`error",
    "CODE`), the deployment comment, and the CLI's `--json` output. Any error fails closed: it is never a pass. The",
    "kind says whether retrying can help:",
    "",
    ...Object.entries(KIND_MEANING).map(([k, m]) => `- **${k}**: ${m}.`),
    "",
    "What GitHub is shown (check runs, deployment review comments) is the code with the message only when the message",
    "is about GitHub's or the repository's own data (a webhook field, the config, a limit). For every other code, whose",
    "message may name the server's internals (a database URL, a data directory, a library's own words), GitHub is shown",
    "the code and the summary below; the full message goes to agent-gate's log (`err`), next to the decision id.",
    "",
    "| Code | Kind | What it means and what to do |",
    "| --- | --- | --- |",
    ...rows,
    "",
    "## The command line's own codes",
    "",
    "<!-- From CLI_CODES in src/cli/codes.ts. -->",
    "",
    "Beside the codes above, the CLI reports these (`--json`: `error.code`). Exit 1: what was checked failed; exit 2:",
    "the command could not do its work.",
    "",
    "| Code | Exit | What it means and what to do |",
    "| --- | --- | --- |",
    ...sorted(other.cli).map(([code, e]) => `| \`${code}\` | ${e.exit} | ${cell(e.summary)} |`),
    "",
    "## Verification outcomes",
    "",
    "<!-- From VERIFICATION_CODES in src/core/verification.ts and COMMIT_VERIFICATION_CODES in src/adapters/sigstore/gitsign.ts. -->",
    "",
    "A bundle or a signed commit that does not verify is an outcome, not an error: its code is in the check run's",
    "evidence, the audit record and `verify-bundle` / `verify-commit` (exit 1); see docs/verifier.md and",
    "docs/verify-commit.md for what each check does.",
    "",
    "| Code | Bundles (verify-bundle, the PR gate's evidence) | Signed commits (verify-commit, gitsign) |",
    "| --- | --- | --- |",
    ...[...new Set([...Object.keys(other.verification), ...Object.keys(other.commit)])]
      .sort()
      .map((code) => `| \`${code}\` | ${cell(other.verification[code] ?? "")} | ${cell(other.commit[code] ?? "")} |`),
    "",
  ].join("\n");
}

function sorted<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function main(check: boolean): number {
  let stale = 0;
  for (const [path, text] of Object.entries(generatedDocs())) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current === text) continue;
    if (check) {
      console.error(`${path} is stale: run npm run docs:gen`);
      stale++;
    } else {
      writeFileSync(path, text);
      console.error(`wrote ${path}`);
    }
  }
  return stale ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main(process.argv.includes("--check")));
