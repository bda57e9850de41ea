// Edges of the pull-request rules, evaluated as the host does (the input builder, then the wasm engine) on the
// approved workflow-change case: reviews of the same second, and a file where a protected glob's directory would be.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../src/adapters/opa/engine.js";
import { pullRequestInput } from "../../src/core/policy-input.js";
import { dataFor, entrypointName, loadCases } from "./support.js";

const engine = await PolicyEngine.load(builtinBundle());

interface Case {
  config: { rules: Record<string, unknown> };
  input: { pull_request: { head_sha: string }; reviews: unknown[]; files: unknown[] };
}

function approvedCase(): Case {
  const c = loadCases().find((x) => x.name === "pr-workflow-change-approved");
  assert.ok(c);
  return structuredClone({ config: c.config, input: c.input } as unknown as Case);
}

function deniedBy(config: unknown, input: unknown): string[] {
  return engine.evaluate(entrypointName("pull_request"), pullRequestInput(input), { data: dataFor(config) }).deny.map((f) => f.rule);
}

describe("reviews of the same second", () => {
  const bob = { id: 1002, login: "bob", type: "User" };
  const at = "2026-11-26T06:30:00Z";
  const reviews = (head: string, first: string, second: string, orders: (number | undefined)[]) =>
    [first, second].map((state, i) => ({ user: bob, state, commit_id: head, submitted_at: at, permission: "write", ...(orders[i] !== undefined ? { order: orders[i] } : {}) }));

  it("control: the approval alone passes", () => {
    const { config, input } = approvedCase();
    assert.deepEqual(deniedBy(config, input), []);
  });

  it("a change request after the approval in the same second is the reviewer's latest: no approval", () => {
    const { config, input } = approvedCase();
    input.reviews = reviews(input.pull_request.head_sha, "APPROVED", "CHANGES_REQUESTED", [3001, 3002]);
    assert.ok(deniedBy(config, input).includes("human-approval"));
  });

  it("an approval after the change request in the same second is the reviewer's latest: it counts", () => {
    const { config, input } = approvedCase();
    input.reviews = reviews(input.pull_request.head_sha, "CHANGES_REQUESTED", "APPROVED", [3001, 3002]);
    assert.deepEqual(deniedBy(config, input), []);
  });

  it("a tie nothing orders (no order, or the same) is not an approval", () => {
    for (const orders of [[undefined, undefined], [3001, undefined], [3001, 3001]]) {
      const { config, input } = approvedCase();
      input.reviews = reviews(input.pull_request.head_sha, "CHANGES_REQUESTED", "APPROVED", orders);
      assert.ok(deniedBy(config, input).includes("human-approval"), JSON.stringify(orders));
    }
  });
});

describe("a file where a protected glob's directory would be", () => {
  // A file (a symlink `deploy -> staging-copy`, say) at the directory of a protected pattern, beside the files it
  // would then stand for.
  function denied(pattern: string, paths: string[]) {
    const { config, input } = approvedCase();
    input.reviews = [];
    input.files = paths.map((path) => ({ path, status: "added", additions: 1, deletions: 0, agent_touched: true }));
    config.rules.protected_paths = { paths: [pattern], path_mode: "deny" };
    const d = engine.evaluate(entrypointName("pull_request"), pullRequestInput(input), { data: dataFor(config) });
    return d.deny.filter((f) => f.rule === "protected-paths").map((f) => (f.details as { path: string }).path).sort();
  }

  it("control: deploy/** is changed by a file at `deploy`", () => {
    assert.deepEqual(denied("deploy/**", ["deploy", "staging-copy/prod.yml"]), ["deploy"]);
  });

  it("deploy/*.yml is changed by a file at `deploy`, as its subtree twin is", () => {
    assert.deepEqual(denied("deploy/*.yml", ["deploy", "staging-copy/prod.yml"]), ["deploy"]);
  });

  it("a glob's wildcard directories too, at their own depth only", () => {
    assert.deepEqual(denied("envs/*/deploy/*.yml", ["envs/eu", "envs/eu/deploy", "envs/eu/other", "envs/eu/deploy/x/y"]), ["envs/eu", "envs/eu/deploy"]);
  });
});
