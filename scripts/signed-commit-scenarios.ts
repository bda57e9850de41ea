// Demo scenarios for signed commits as evidence (issue 17 items 1-2, docs/signed-commits.md): a gitsign-signed agent
// PR passing, the same commit with its message edited failing, and a Copilot PR signed by GitHub itself passing
// under a config that accepts the platform tier and failing under one that does not. Called from
// scripts/make-scenarios.ts; commits are signed like gitsign's offline mode against the scenarios' own Sigstore.
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../src/demo/github/model.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import { AGENT_TRAILERS } from "../src/core/signed-commits.js";
import { sha256Hex } from "../src/core/digest.js";
import type { TestSigstore } from "../test/support/sigstore/index.js";
import { commitSha, gitsignCommit, rawCommit, withGpgsigHeader } from "../test/support/gitsign-signer.js";
import { COPILOT_PR_AUTHOR, copilotCommit } from "./copilot-commit.js";

export interface SignedCommitScenarioContext {
  readonly sigstore: TestSigstore;
  readonly signedAt: Date;
  readonly identity: string; // the agent workflow the scenarios' config trusts
  readonly issuer: string;
  readonly sha: (label: string) => string;
  readonly config: string; // the scenarios' default config (platform tier not accepted)
  readonly repo: (pulls: StandInPull[], config: string) => StandInRepo;
  readonly payloadFor: (event: string, r: StandInRepo, pullNumber: number) => Record<string, unknown>;
  readonly reviewPayload: (r: StandInRepo, pullNumber: number, user: Account, commitId: string) => Record<string, unknown>;
  readonly step: (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"], mutate?: ScenarioStep["mutate"]) => ScenarioStep;
  readonly prompter: Account;
  readonly approver: Account;
}

const CLAUDE: Account = { login: "claude[bot]", id: 209825114, type: "Bot" };
const FILES = [{ filename: "src/parser.ts", additions: 40, deletions: 3 }, { filename: "test/parser.test.ts", additions: 60, deletions: 0 }];

export async function signedCommitScenarios(x: SignedCommitScenarioContext): Promise<Scenario[]> {
  const when = new Date(x.signedAt.getTime() - 60_000);
  const date = when.toISOString().replace(/\.\d{3}Z$/, "Z");
  const pull = (number: number, user: Account, ref: string, commits: StandInCommit[], body: string, extra: Partial<StandInPull> = {}): StandInPull => ({
    number, title: "Validate widget input", body, user, head: { ref, sha: commits.at(-1)!.sha }, base: { ref: "main", sha: x.sha("base") }, commits, files: FILES, reviews: [], comments: [], ...extra,
  });
  const out: Scenario[] = [];

  // ---- tier signed-commit: the agent's CI signs its commit with gitsign; the trailers under the signature say what ran
  const trailers = [
    `${AGENT_TRAILERS.agent}: claude-code`,
    `${AGENT_TRAILERS.agentVersion}: 2.1.0`,
    `${AGENT_TRAILERS.model}: anthropic/claude-sonnet-4-5`,
    `${AGENT_TRAILERS.modelVersion}: 20250929`,
    `${AGENT_TRAILERS.promptDigest}: sha256:${sha256Hex("Add input validation to the widget parser and cover it with tests.")}`,
    `Co-authored-by: ${x.prompter.login} <${x.prompter.id}+${x.prompter.login}@users.noreply.github.com>`,
  ].join("\n");
  const tree = x.sha("tree:sc-gitsign");
  const unsigned = rawCommit({ tree, parents: [x.sha("base")], author: "Claude <noreply@anthropic.com>", when, message: `Validate widget input\n\nRejects empty names.\n\n${trailers}\n` });
  const signed = await gitsignCommit(x.sigstore, unsigned, { san: { uri: x.identity }, issuer: x.issuer, signedAt: x.signedAt, extensions: { sourceRepositoryURI: "https://github.com/acme/agents", sourceRepositoryRef: "refs/heads/main", runnerEnvironment: "github-hosted" } });
  const gitsignVerification = (payload: Buffer) => ({ verified: false, reason: "unknown_signature_type", signature: signed.pem, payload: payload.toString("utf8") });
  const gitsigned: StandInCommit = {
    sha: signed.sha, tree, parents: [x.sha("base")], message: unsigned.toString("utf8").split("\n\n").slice(1).join("\n\n"),
    author: { name: "Claude", email: "noreply@anthropic.com", date, account: CLAUDE }, verification: gitsignVerification(unsigned),
  };
  {
    const r = x.repo([pull(31, CLAUDE, "claude/validate", [gitsigned], "Adds validation. The commit is signed with gitsign.", { reviews: [{ user: x.approver, state: "APPROVED", commit_id: gitsigned.sha }] })], x.config);
    out.push({ name: "gitsign-signed-agent-pr", title: "A gitsign-signed agent commit is its own provenance", description: "claude[bot]'s commit carries a gitsign signature (Sigstore keyless, the trusted agent workflow, its Rekor entry embedded) over the commit, whose trailers name the agent, the model and the prompt digest: no provenance block is needed, and the check shows the tier signed commit.", repos: [r],
      steps: [x.step("pull_request.opened", x.payloadFor("pull_request.opened", r, 31), { headSha: gitsigned.sha, conclusion: "success", summaryIncludes: ["verified · signed commit"] })] });
  }
  {
    // The same signature kept on a copy whose message was edited (a raw object edit; `git commit --amend` would drop it).
    const edited = Buffer.from(unsigned.toString("utf8").replace("Rejects empty names.", "Rejects empty names. Also disables the size check."));
    const moved: StandInCommit = { ...gitsigned, sha: commitSha(withGpgsigHeader(edited, signed.pem)), message: edited.toString("utf8").split("\n\n").slice(1).join("\n\n"), verification: gitsignVerification(edited) };
    const r = x.repo([pull(32, CLAUDE, "claude/validate", [moved], "Adds validation. The commit is signed with gitsign.", { reviews: [{ user: x.approver, state: "APPROVED", commit_id: moved.sha }] })], x.config);
    out.push({ name: "gitsign-message-edited", title: "The same signed commit with its message edited fails", description: "The gitsign signature of the previous scenario kept on a copy of the commit whose message was edited: the signature no longer covers the commit (CONTENT_MISMATCH), so the agent's commit carries no verified provenance.", repos: [r],
      steps: [x.step("pull_request.opened", x.payloadFor("pull_request.opened", r, 32), { headSha: moved.sha, conclusion: "failure", summaryIncludes: ["CONTENT_MISMATCH"] })] });
  }

  // ---- tier platform: Copilot's cloud agent; GitHub signs its commits with its own key; the assigner is a co-author
  const copilot = copilotCommit({ sha: x.sha, label: "sc-copilot", message: "Validate widget input", prompter: x.prompter, when });
  const copilotBody = `Validates widget input.\n\n<details><summary>Original prompt</summary>\n\nAdd input validation to the widget parser.\n\n</details>`;
  // The default config, accepting the platform tier for copilot; its commits name no model or prompt, so neither is required.
  if (!x.config.includes("\n  model_governance:\n")) throw new Error("expected the default config to set rules.model_governance");
  const accepting = `${x.config.replace("\n  model_governance:\n", "\n  model_governance:\n    require_model: false\n")}  provenance_coverage:\n    tiers:\n      copilot: [platform]\n  prompt:\n    require_digest: false\n`;
  const copilotPull = (number: number): StandInPull => pull(number, COPILOT_PR_AUTHOR, "copilot/validate-widget-input", [copilot], copilotBody);
  {
    const r = x.repo([copilotPull(33)], accepting);
    const head = copilot.sha;
    out.push({ name: "copilot-platform-accepted", title: "A Copilot PR signed by GitHub passes where the config accepts the platform tier", description: `Copilot's cloud agent made the commit and GitHub signed it with its own key: tier platform, which proves who made the commit, not the model or prompt. The config accepts the tier for copilot and requires neither. ${x.prompter.login} assigned the task (co-author): her approval does not count; ${x.approver.login}'s does.`, repos: [r],
      steps: [
        x.step("pull_request_review.submitted", x.reviewPayload(r, 33, x.prompter, head), { headSha: head, conclusion: "failure", summaryIncludes: ["verified · platform"] }, { pull: 33, addReviews: [{ user: x.prompter, state: "APPROVED", commit_id: head }] }),
        x.step("pull_request_review.submitted", x.reviewPayload(r, 33, x.approver, head), { headSha: head, conclusion: "success", summaryIncludes: ["verified · platform"] }, { pull: 33, addReviews: [{ user: x.approver, state: "APPROVED", commit_id: head }] }),
      ] });
  }
  {
    const r = x.repo([{ ...copilotPull(34), reviews: [{ user: x.approver, state: "APPROVED", commit_id: copilot.sha }] }], x.config);
    out.push({ name: "copilot-platform-refused", title: "The same Copilot PR fails where the platform tier is not accepted", description: "The default tiers are sigstore and signed-commit: a commit only GitHub's platform vouches for is not covered for copilot, and the check says which tiers would be.", repos: [r],
      steps: [x.step("pull_request.opened", x.payloadFor("pull_request.opened", r, 34), { headSha: copilot.sha, conclusion: "failure", summaryIncludes: ["platform evidence, which is not accepted for copilot"] })] });
  }
  return out;
}
