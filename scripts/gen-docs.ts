// Generates what is derived from the zod schemas: the JSON Schemas in docs/ and the policy bundle's default data
// (policies/rego/data.json). `--check` compares instead of writing and exits 1 when anything is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { DeploymentInput, PullRequestInput } from "../src/core/policy-input.js";
import { RepoConfig, defaultRepoConfig, policyData } from "../src/config/repo-config.js";
import { canonicalize as canonicalJson } from "../src/core/audit.js";

export function generatedDocs(): Record<string, string> {
  const schema = (s: z.ZodType, io: "input" | "output", title: string, id: string) =>
    JSON.stringify({ ...z.toJSONSchema(s, { io, unrepresentable: "any" }), $id: id, title }, null, 2) + "\n";
  return {
    "docs/policy-input.pull-request.schema.json": schema(PullRequestInput, "output", "agent-gate policy input v1: pull request", "policy-input.pull-request.schema.json"),
    "docs/policy-input.deployment.schema.json": schema(DeploymentInput, "output", "agent-gate policy input v1: deployment", "policy-input.deployment.schema.json"),
    "docs/agent-gate-config.schema.json": schema(RepoConfig, "input", "agent-gate .github/agent-gate.yml", "agent-gate-config.schema.json"),
    // Sorted keys, one line: the bytes must not depend on the order the schema lists fields in.
    "policies/rego/data.json": canonicalJson(policyData(defaultRepoConfig())) + "\n",
  };
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
