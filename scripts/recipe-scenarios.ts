// Demo scenarios for the producer recipes (docs/recipes.md, issue 17 item 5): one per recipe in docs/examples/, each
// with the pull request the recipe makes passing, the same pull request without its provenance failing, and one
// whose provenance was signed by another workflow failing. Called from scripts/make-scenarios.ts.
import { buildAgentStatement } from "../src/core/provenance.js";
import { renderProvenanceBlock } from "../src/core/provenance-block.js";
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../src/demo/github/model.js";
import type { Scenario, ScenarioStep } from "../src/demo/scenario.js";
import type { TestSigstore } from "../test/support/sigstore/index.js";

export interface RecipeScenarioContext {
  readonly sigstore: TestSigstore;
  readonly signedAt: Date;
  readonly issuer: string;
  readonly sha: (label: string) => string;
  readonly repo: (pulls: StandInPull[], config: string) => StandInRepo;
  readonly payloadFor: (event: string, r: StandInRepo, pullNumber: number) => Record<string, unknown>;
  readonly step: (event: string, payload: Record<string, unknown>, expect: ScenarioStep["expect"]) => ScenarioStep;
  readonly prompter: Account; // the maintainer who commented the trigger
  readonly approver: Account; // another maintainer, who approves the head
}

interface Recipe {
  readonly name: string;
  readonly file: string; // in docs/examples/
  readonly installedAs: string; // .github/workflows/<installedAs> in the repository it serves
  readonly otherWorkflow: { readonly identity: string; readonly what: string };
  readonly trigger: string;
  readonly branchPrefix: string;
  readonly titlePrefix: string;
  readonly runtime: { readonly name: string; readonly version: string };
  readonly model: { readonly id: string; readonly version: string };
  readonly author: (prompter: Account) => StandInCommit["author"];
  readonly trailers: (prompter: Account) => string;
  readonly issue: number;
}

const ACTIONS_BOT: Account = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
const CLAUDE_BOT: Account = { login: "claude[bot]", id: 209825114, type: "Bot" };
const coAuthor = (p: Account): string => `Co-authored-by: ${p.login} <${p.id}+${p.login}@users.noreply.github.com>`;
const workflow = (repo: string, file: string): string => `https://github.com/${repo}/.github/workflows/${file}@refs/heads/main`;

const RECIPES: readonly Recipe[] = [
  {
    name: "recipe-claude-code-action", file: "claude-code-action.yml", installedAs: "claude-agent.yml",
    otherWorkflow: { identity: workflow("acme/widgets", "claude.yml"), what: "the stock claude.yml, where the agent's own job holds id-token: write" },
    trigger: "/claude", branchPrefix: "claude/issue-", titlePrefix: "Claude", issue: 21,
    runtime: { name: "claude-code", version: "2.1.240" }, model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    author: () => ({ name: "claude[bot]", email: "209825114+claude[bot]@users.noreply.github.com", account: CLAUDE_BOT }),
    trailers: (p) => coAuthor(p),
  },
  {
    name: "recipe-codex-cli", file: "codex-cli.yml", installedAs: "codex-agent.yml",
    otherWorkflow: { identity: workflow("acme/widgets", "codex.yml"), what: "a codex.yml that runs Codex and signs in one job" },
    trigger: "/codex", branchPrefix: "codex/issue-", titlePrefix: "Codex", issue: 22,
    runtime: { name: "codex", version: "0.171.0" }, model: { id: "openai/gpt-5-codex", version: "gpt-5-codex" },
    author: () => ({ name: "Codex", email: "noreply@openai.com", account: null }),
    trailers: (p) => coAuthor(p),
  },
  {
    name: "recipe-generic-cli-agent", file: "agent-workflow.yml", installedAs: "agent.yml",
    otherWorkflow: { identity: workflow("mallory/widgets", "agent.yml"), what: "the same recipe run in a fork, mallory/widgets" },
    trigger: "/agent", branchPrefix: "agent/issue-", titlePrefix: "Agent", issue: 23,
    runtime: { name: "my-agent", version: "1.4.2" }, model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
    author: () => ({ name: "agent[bot]", email: "agent@users.noreply.github.com", account: null }),
    trailers: (p) => `Assisted-by: my-agent:anthropic/claude-sonnet-4-5\n\n${coAuthor(p)}`,
  },
];

export async function recipeScenarios(ctx: RecipeScenarioContext): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const r of RECIPES) {
    const trusted = workflow("acme/widgets", r.installedAs);
    const config = `# acme/widgets default branch: trusts the recipe docs/examples/${r.file}, installed as .github/workflows/${r.installedAs}
version: 1
rules:
  signers:
    allowed:
      - identity: ${trusted}
        issuer: ${ctx.issuer}
  model_governance:
    allowed:
      - model: ${r.model.id}
        version: "${r.model.version}"
  human_approval:
    count: 1
`;
    const prompt = `${r.trigger} add input validation to the widget parser and cover it with tests\n`;
    const block = async (commit: StandInCommit, identity: string, repository: string): Promise<string> => {
      const statement = buildAgentStatement({
        repository: "acme/widgets",
        commits: [{ sha: commit.sha, tree: commit.tree }],
        runtime: r.runtime,
        model: r.model,
        prompt: { text: prompt },
        target: { repository: "acme/widgets", baseRef: "main", baseCommit: ctx.sha("base") },
        delegation: { principal: { login: ctx.prompter.login, id: ctx.prompter.id }, trigger: { event: "issue_comment", at: "2026-11-20T09:40:00Z" } },
        builderId: identity,
        invocation: { invocationId: `https://github.com/${repository}/actions/runs/987654/attempts/1`, startedOn: "2026-11-20T09:59:30Z", finishedOn: "2026-11-20T09:59:30Z" },
      });
      const signed = await ctx.sigstore.sign({
        payload: { kind: "dsse", statement: { subjects: statement.subject.map((s) => ({ name: s.name, digest: { ...s.digest } })), predicateType: statement.predicateType, predicate: statement.predicate } },
        signWith: { kind: "keyless", san: { uri: identity }, issuer: ctx.issuer, extensions: { sourceRepositoryURI: `https://github.com/${repository}`, sourceRepositoryRef: "refs/heads/main", buildSignerURI: identity, githubWorkflowRef: "refs/heads/main" } },
        rekor: "v1",
        signedAt: ctx.signedAt,
      });
      return renderProvenanceBlock(JSON.stringify(signed.bundle));
    };
    const pull = (number: number, label: string, body: (c: StandInCommit) => Promise<string>): Promise<StandInPull> => {
      const c: StandInCommit = {
        sha: ctx.sha(`${r.name}-${label}`), tree: ctx.sha(`tree:${r.name}-${label}`),
        message: `${r.titlePrefix}: issue #${r.issue}\n\n${r.trailers(ctx.prompter)}\n`,
        author: { ...r.author(ctx.prompter), date: "2026-11-20T09:58:00Z" },
      };
      return body(c).then((b) => ({
        number, title: `${r.titlePrefix}: issue #${r.issue}`, body: b, user: ACTIONS_BOT,
        head: { ref: `${r.branchPrefix}${r.issue}`, sha: c.sha }, base: { ref: "main", sha: ctx.sha("base") }, commits: [c],
        files: [{ filename: "src/parser.ts", additions: 40, deletions: 3 }, { filename: "test/parser.test.ts", additions: 60, deletions: 0 }],
        reviews: [{ user: ctx.approver, state: "APPROVED", commit_id: c.sha }], comments: [],
      }));
    };
    const base = r.issue * 10;
    const pulls = [
      await pull(base + 1, "signed", async (c) => `Closes #${r.issue}\n\n${await block(c, trusted, "acme/widgets")}`),
      await pull(base + 2, "unsigned", () => Promise.resolve(`Closes #${r.issue}`)),
      await pull(base + 3, "other", async (c) => `Closes #${r.issue}\n\n${await block(c, r.otherWorkflow.identity, r.otherWorkflow.identity.split("/").slice(3, 5).join("/"))}`),
    ];
    const state = ctx.repo(pulls, config);
    const head = (i: number): string => pulls[i]!.head.sha;
    out.push({
      name: r.name,
      title: `The recipe docs/examples/${r.file}: its pull request passes; without provenance, or signed by another workflow, it fails`,
      description: `${ctx.prompter.login} comments "${r.trigger} ..." on issue #${r.issue}; the recipe's publish job opens the PR as github-actions[bot] from ${r.branchPrefix}${r.issue}, with the agent's commit (${r.author(ctx.prompter).name}, ${ctx.prompter.login} as co-author), and its sign job attaches provenance signed by ${trusted}; ${ctx.approver.login} approves. PR #${base + 1} passes. PR #${base + 2} is the same work with no provenance (the sign job never ran). PR #${base + 3} carries provenance signed by ${r.otherWorkflow.identity} (${r.otherWorkflow.what}), which the config does not trust.`,
      repos: [state],
      steps: [
        ctx.step("pull_request.opened", ctx.payloadFor("pull_request.opened", state, base + 1), { headSha: head(0), conclusion: "success", summaryIncludes: [r.model.id, "verified"] }),
        ctx.step("pull_request.opened", ctx.payloadFor("pull_request.opened", state, base + 2), { headSha: head(1), conclusion: "failure", summaryIncludes: ["provenance"] }),
        ctx.step("pull_request.opened", ctx.payloadFor("pull_request.opened", state, base + 3), { headSha: head(2), conclusion: "failure", summaryIncludes: ["`signers`", "is not from an allowed signer"] }),
      ],
    });
  }
  return out;
}
