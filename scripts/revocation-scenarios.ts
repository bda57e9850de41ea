// Demo scenario for the organisation's revocation list (issue 18 item 3, docs/revocation.md), in an owner of its own
// (globex: globex/sprockets and the organisation's globex/.github) so no other scenario's decisions mix into the sweep.
//   revoked-model-flips-open-pr: claude[bot]'s signed PR, approved by bob, passes. Then the organisation adds the PR's
//   model to .github/agent-gate-revocations.yml in globex/.github and pushes: the push delivery sweeps the recorded
//   decisions whose evidence names that model, and the same head's check turns to failure naming the revoked model
//   and the reason, with no new push to the pull request. Called from scripts/make-scenarios.ts.
import { createRequire } from "node:module";
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../src/demo/github/model.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import { REVOCATIONS_PATH } from "../src/config/revocations.js";

export interface RevocationScenarioContext {
  readonly sha: (label: string) => string;
  readonly config: string;
  readonly agent: Account;
  readonly approver: Account;
  readonly commit: (label: string, author: Account) => StandInCommit;
  /** A provenance block signed by the agent workflow for these commits of `repository`. */
  readonly provenanceBlock: (o: { commits: StandInCommit[]; repository: string }) => Promise<string>;
  readonly payloadFor: (event: string, r: StandInRepo, pullNumber: number, extra?: Record<string, unknown>) => Record<string, unknown>;
  readonly step: (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"], mutate?: ScenarioStep["mutate"]) => ScenarioStep;
}

const OWNER = "globex";
const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];

const REVOCATIONS = `# globex's revocation list: applies to every repository of globex, whatever its own config says.
version: 1
models:
  - model: anthropic/claude-sonnet-4-5
    version: "20250929"
    reason: "prompt-injection jailbreak, advisory GLOBEX-SEC-2026-114"
`;

/** GitHub's push example, adapted: a commit to globex/.github's default branch that adds the revocation list. */
function pushPayload(org: StandInRepo, after: string, installationId: number): Record<string, unknown> {
  const found = examples.find((e) => e.name === "push")?.examples.find((x) => Array.isArray(x["commits"]) && typeof x["ref"] === "string");
  if (!found) throw new Error("no push example");
  const p = structuredClone(found) as Record<string, unknown> & { repository: Record<string, unknown> & { owner: Record<string, unknown> }; head_commit: Record<string, unknown> };
  const headCommit = { ...p.head_commit, id: after, message: "Revoke claude-sonnet-4-5 20250929 (GLOBEX-SEC-2026-114)", added: [REVOCATIONS_PATH], modified: [], removed: [] };
  return {
    ...p,
    ref: `refs/heads/${org.defaultBranch}`,
    before: "0".repeat(40),
    after,
    created: false,
    base_ref: null,
    commits: [headCommit],
    head_commit: headCommit,
    repository: { ...p.repository, id: org.id, name: org.name, full_name: `${org.owner}/${org.name}`, default_branch: org.defaultBranch, master_branch: org.defaultBranch, owner: { ...p.repository.owner, login: org.owner, name: org.owner } },
    installation: { id: installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" },
  };
}

export async function revocationScenarios(x: RevocationScenarioContext): Promise<Scenario[]> {
  const commits = [x.commit("rv-a", x.agent), x.commit("rv-b", x.agent)];
  const head = commits[1]!.sha;
  const pull: StandInPull = {
    number: 12, title: "Speed up the sprocket cache", body: `Caches sprocket lookups.\n\n${await x.provenanceBlock({ commits, repository: `${OWNER}/sprockets` })}`, user: x.agent,
    head: { ref: "claude/sprocket-cache", sha: head }, base: { ref: "main", sha: x.sha("base") }, commits,
    files: [{ filename: "src/cache.ts", additions: 48, deletions: 5 }, { filename: "test/cache.test.ts", additions: 52, deletions: 0 }],
    reviews: [{ user: x.approver, state: "APPROVED", commit_id: head }], comments: [],
  };
  const sprockets: StandInRepo = { owner: OWNER, name: "sprockets", id: 515151, defaultBranch: "main", collaborators: { [x.approver.login]: "write" }, files: { ".github/agent-gate.yml": x.config.replace("# acme/widgets", "# globex/sprockets") }, pulls: [pull] };
  const org: StandInRepo = { owner: OWNER, name: ".github", id: 515150, defaultBranch: "main", files: {}, pulls: [] };
  const opened = x.payloadFor("pull_request.opened", sprockets, 12);
  const installationId = (opened["installation"] as { id: number }).id;
  return [
    {
      name: "revoked-model-flips-open-pr",
      title: "A model the organisation revokes turns an open, green PR's check to failure without a new push",
      description: "claude[bot]'s signed PR in globex/sprockets, approved by bob, passes. globex then adds anthropic/claude-sonnet-4-5 20250929 to .github/agent-gate-revocations.yml in globex/.github: the push delivery sweeps the recorded decisions, and the same head's check fails naming the revoked model and the reason.",
      audit: true,
      repos: [sprockets, org],
      steps: [
        x.step("pull_request.opened", opened, { headSha: head, conclusion: "success", summaryIncludes: ["anthropic/claude-sonnet-4-5"] }),
        {
          ...x.step("push", pushPayload(org, x.sha("globex-revocations"), installationId), {
            headSha: head,
            conclusion: "failure",
            summaryIncludes: ["model anthropic/claude-sonnet-4-5 version 20250929 is revoked by the organisation: prompt-injection jailbreak, advisory GLOBEX-SEC-2026-114"],
          }),
          repoFiles: [{ owner: OWNER, repo: ".github", files: { [REVOCATIONS_PATH]: REVOCATIONS } }],
        },
      ],
    },
  ];
}
