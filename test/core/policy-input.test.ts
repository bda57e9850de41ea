// The policy input v1: builders get defaults and clear errors; the generated JSON Schemas and data.json are fresh.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { deploymentInput, entrypointFor, pullRequestInput, toPolicyTime } from "../../src/core/policy-input.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { ReviewFacts } from "../../src/core/facts.js";
import { reviewsInput } from "../../src/core/pull-request-input.js";
import { generatedDocs } from "../../scripts/gen-docs.js";
import { loadCases } from "../policies/support.js";

const prDraft = () => structuredClone(loadCases().find((c) => c.name === "pr-signed-agent-passes")?.input) as Record<string, unknown>;

describe("policy input", () => {
  it("every hand-written case is a valid input of its kind", () => {
    for (const c of loadCases()) {
      const parsed = c.entrypoint === "pull_request" ? pullRequestInput(c.input) : deploymentInput(c.input);
      assert.equal(entrypointFor(parsed), `agent_gate/${c.entrypoint}/decision`);
    }
  });

  it("fills defaults a builder may leave out", () => {
    const draft = prDraft();
    delete draft.reviews;
    delete draft.prompters;
    const input = pullRequestInput(draft);
    assert.deepEqual(input.reviews, []);
    assert.deepEqual(input.prompters, []);
  });

  it("names the path of what is malformed", () => {
    const draft = prDraft();
    (draft.pull_request as Record<string, unknown>).head_sha = "abc";
    assert.throws(
      () => pullRequestInput(draft),
      (e: unknown) => e instanceof AgentGateError && e.code === "INPUT_INVALID" && /pull_request\.head_sha: expected a full commit sha/.test(e.message),
    );
  });

  it("rejects a verified provenance without a signer, and a head marker that disagrees with head_sha", () => {
    const draft = prDraft();
    const commits = draft.commits as { provenance: Record<string, unknown>; is_head: boolean }[];
    delete commits[0]?.provenance.signer;
    assert.throws(() => pullRequestInput(draft), /commits\.0\.provenance\.signer/);
    const other = prDraft();
    const c2 = other.commits as { is_head: boolean }[];
    if (c2[0]) c2[0].is_head = true;
    assert.throws(() => pullRequestInput(other), /commits\.0\.is_head/);
  });

  it("times are UTC with whole seconds, as the policy compares them as strings", () => {
    assert.equal(toPolicyTime("2026-11-26T08:12:00.123+01:00"), "2026-11-26T07:12:00Z");
    assert.equal(toPolicyTime(new Date(0)), "1970-01-01T00:00:00Z");
    assert.throws(() => toPolicyTime("yesterday"), /expected a time/);
    const draft = prDraft();
    draft.now = "2026-11-26T07:00:00.5Z";
    assert.throws(() => pullRequestInput(draft), /now: expected a UTC time/);
  });

  it("every submitted review carries its place in GitHub's order: its id, else its position, never the two mixed", () => {
    const review = (id: number, state: ReviewFacts["state"], submittedAt?: string): ReviewFacts => ({ id, user: { login: "bob", id: 1002 }, state, commitId: "2".repeat(40), ...(submittedAt ? { submittedAt } : {}) });
    const at = "2026-11-26T06:30:00Z";
    const orders = (rs: ReviewFacts[]) => reviewsInput(rs).map((r) => [r.state, r.order]);
    assert.deepEqual(orders([review(3001, "APPROVED", at), review(3000, "COMMENTED"), review(3002, "CHANGES_REQUESTED", at)]), [["APPROVED", 3001], ["CHANGES_REQUESTED", 3002]]);
    assert.deepEqual(orders([review(3001, "APPROVED", at), review(3001, "CHANGES_REQUESTED", at)]), [["APPROVED", 0], ["CHANGES_REQUESTED", 1]], "ids that repeat: positions");
    assert.deepEqual(orders([review(0, "APPROVED", at), review(3002, "CHANGES_REQUESTED", at)]), [["APPROVED", 0], ["CHANGES_REQUESTED", 1]], "an id missing: positions");
  });

  it("the generated schemas in docs/ and policies/rego/data.json are fresh (npm run docs:gen)", () => {
    for (const [path, text] of Object.entries(generatedDocs())) {
      assert.equal(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"), text, `${path} is stale: run npm run docs:gen`);
    }
  });
});
