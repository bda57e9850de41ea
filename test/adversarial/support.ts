// The adversarial suites' harness: GitHub state for the stand-in, real webhook payloads (@octokit/webhooks-examples)
// adapted to it, provenance bundles signed against a Sigstore of our own, and a run through the real App (Probot's
// HTTP middleware with signed deliveries) with every request and response checked against GitHub's REST
// description. Each case states an attack and what the check run must show.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { buildAgentStatement } from "../../src/core/provenance.js";
import { renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { Account, StandInCheckRun, StandInCommit, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../support/sigstore/index.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];

export const SIGNED_AT = new Date("2026-11-20T10:00:00Z");
export const OWNER = "acme";
export const REPO = "widgets";
export const REPO_ID = 424242;
export const INSTALLATION = 77;
export const IDENTITY = DEFAULT_IDENTITY;
export const ISSUER = DEFAULT_ISSUER;

export const sha = (label: string): string => createHash("sha1").update(label).digest("hex");

export const claude: Account = { login: "claude[bot]", id: 209825114, type: "Bot" };
export const actionsBot: Account = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
export const alice: Account = { login: "alice", id: 5001, type: "User" };
export const bob: Account = { login: "bob", id: 5002, type: "User" };
export const carol: Account = { login: "carol", id: 5003, type: "User" };
export const mallory: Account = { login: "mallory", id: 6666, type: "User" };

export const CONFIG = `version: 1
rules:
  signers:
    allowed:
      - identity: ${IDENTITY}
        issuer: ${ISSUER}
  model_governance:
    allowed:
      - model: anthropic/claude-sonnet-4-5
        version: "20250929"
        expires: 2027-12-31
  human_approval:
    count: 1
`;

/** The maintainers: alice (maintain), bob and carol (write). mallory and everyone else only read. */
export const COLLABORATORS: StandInRepo["collaborators"] = { alice: "maintain", bob: "write", carol: "write" };

let sigstorePromise: ReturnType<typeof createTestSigstore> | undefined;
export function sigstore(): ReturnType<typeof createTestSigstore> {
  sigstorePromise ??= createTestSigstore({ now: SIGNED_AT, name: "agent-gate-adversarial" });
  return sigstorePromise;
}

type Who = Account | "human-alice" | { name: string; email: string; account?: Account | null };

export function commit(label: string, who: Who = claude, message = `${label}\n`): StandInCommit {
  const author =
    who === "human-alice"
      ? { name: "Alice", email: "alice@acme.example", account: alice }
      : "email" in who
        ? who
        : who.login === claude.login
          ? { name: "Claude", email: "noreply@anthropic.com", account: claude }
          : { name: who.login, email: `${who.id}+${who.login}@users.noreply.github.com`, account: who };
  return { sha: sha(label), tree: sha(`tree:${label}`), message, author: { ...author, date: "2026-11-20T09:58:00Z" } };
}

export interface SignOpts {
  commits: readonly StandInCommit[];
  repository?: string;
  identity?: string;
  model?: { id: string; version: string };
  prompter?: Account;
  prompt?: string;
  /** Extra predicate fields merged over what buildAgentStatement makes (e.g. subagents, tools). */
  predicate?: (p: Record<string, unknown>) => Record<string, unknown>;
  statement?: (s: { subject: { name: string; digest: Record<string, string> }[]; predicateType: string; predicate: Record<string, unknown> }) => void;
  /** Fulcio extensions added to (or replacing) the certificate's defaults, e.g. { runnerEnvironment: "self-hosted" }. */
  extensions?: Record<string, string>;
}

/** A genuine bundle for `commits`, as JSON text. */
export async function signedBundle(o: SignOpts): Promise<string> {
  const repository = o.repository ?? `${OWNER}/${REPO}`;
  const statement = buildAgentStatement({
    repository,
    commits: o.commits.map((c) => ({ sha: c.sha, tree: c.tree, ref: "refs/heads/claude/feature" })),
    runtime: { name: "claude-code", version: "2.1.0" },
    model: { id: o.model?.id ?? "anthropic/claude-sonnet-4-5", version: o.model?.version ?? "20250929" },
    prompt: { text: o.prompt ?? "Add input validation to the widget parser and cover it with tests." },
    target: { repository: `https://github.com/${repository}`, baseRef: "refs/heads/main", baseCommit: sha("base") },
    delegation: { principal: { login: (o.prompter ?? alice).login, id: (o.prompter ?? alice).id }, trigger: { event: "issue_comment", at: "2026-11-20T09:40:00Z" } },
    builderId: IDENTITY,
    invocation: { invocationId: "https://github.com/acme/agents/actions/runs/123456789/attempts/1", startedOn: "2026-11-20T09:41:00Z", finishedOn: "2026-11-20T09:59:00Z" },
  });
  const st = { subject: statement.subject.map((s) => ({ name: s.name, digest: { ...s.digest } })), predicateType: statement.predicateType, predicate: structuredClone(statement.predicate) as unknown as Record<string, unknown> };
  if (o.predicate) st.predicate = o.predicate(st.predicate);
  o.statement?.(st);
  const identity = o.identity ?? IDENTITY;
  const signed = await (await sigstore()).sign({
    payload: { kind: "dsse", statement: { subjects: st.subject, predicateType: st.predicateType, predicate: st.predicate } },
    signWith: { kind: "keyless", san: { uri: identity }, issuer: ISSUER, extensions: { sourceRepositoryURI: "https://github.com/acme/agents", sourceRepositoryRef: "refs/heads/main", buildSignerURI: identity, githubWorkflowRef: "refs/heads/main", ...o.extensions } },
    rekor: "v1",
    signedAt: SIGNED_AT,
  });
  return JSON.stringify(signed.bundle);
}

/** A provenance block (as `agent-gate attest` writes it) holding a genuine bundle for `commits`. */
export async function provenanceBlock(o: SignOpts): Promise<string> {
  return renderProvenanceBlock(await signedBundle(o));
}

export function repo(pulls: StandInPull[], config = CONFIG, extra: Partial<StandInRepo> = {}): StandInRepo {
  return { owner: OWNER, name: REPO, id: REPO_ID, defaultBranch: "main", collaborators: COLLABORATORS, files: { ".github/agent-gate.yml": config }, pulls, ...extra };
}

export function agentPull(number: number, commits: StandInCommit[], body: string, extra: Partial<StandInPull> = {}): StandInPull {
  return {
    number,
    title: "Validate widget input",
    body,
    user: claude,
    head: { ref: "claude/feature", sha: commits.at(-1)!.sha },
    base: { ref: "main", sha: sha("base") },
    commits,
    files: [
      { filename: "src/parser.ts", additions: 40, deletions: 3 },
      { filename: "test/parser.test.ts", additions: 60, deletions: 0 },
    ],
    reviews: [],
    comments: [],
    ...extra,
  };
}

export function humanPull(number: number, commits: StandInCommit[], user: Account = alice, extra: Partial<StandInPull> = {}): StandInPull {
  return agentPull(number, commits, "A change.", { user, head: { ref: `${user.login}/change`, sha: commits.at(-1)!.sha }, ...extra });
}

export function example(name: string, action: string): Record<string, unknown> {
  const found = examples.find((e) => e.name === name)?.examples.find((x) => x.action === action);
  if (!found) throw new Error(`no ${name}.${action} example`);
  return structuredClone(found);
}

/** A real webhook payload of `event` ("pull_request.opened") for pull request `pullNumber` of `r` as it stands. */
export function payloadFor(event: string, r: StandInRepo, pullNumber: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [name, action] = event.split(".") as [string, string];
  const p = example(name, action);
  const standIn = new GitHubStandIn([r]);
  const repository = { ...(p.repository as Record<string, unknown>), id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: r.defaultBranch, owner: { ...(p.repository as { owner: Record<string, unknown> }).owner, login: r.owner } };
  const pull = standIn.pullPayload(r.owner, r.name, pullNumber);
  const withPull = name === "pull_request" || name === "pull_request_review" ? { pull_request: { ...(p.pull_request as object), ...pull } } : {};
  return { ...p, ...withPull, repository, installation: { id: INSTALLATION, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" }, ...extra };
}

export function reviewPayload(r: StandInRepo, pullNumber: number, user: Account, commitId: string): Record<string, unknown> {
  const p = payloadFor("pull_request_review.submitted", r, pullNumber);
  const review = { ...(p.review as Record<string, unknown>), user: { ...(p.review as { user: Record<string, unknown> }).user, login: user.login, id: user.id, type: user.type ?? "User" }, state: "approved", commit_id: commitId };
  return { ...p, review, sender: review.user };
}

export interface Delivery {
  readonly event: string;
  readonly payload: Record<string, unknown>;
  /** Changes to the stand-in's state before this delivery (a push, a review, a comment). */
  readonly before?: (standIn: GitHubStandIn) => void;
}

export interface Judged {
  readonly standIn: GitHubStandIn;
  /** The agent-gate check run on `sha` as it stands after the last delivery. */
  run(sha: string): StandInCheckRun;
  /** Every GitHub request or response that does not match GitHub's REST description. */
  readonly problems: readonly string[];
}

/** Sends `deliveries` in order to the real App wired to a stand-in serving `repos`; returns what GitHub holds. */
export async function judge(repos: StandInRepo[], deliveries: readonly Delivery[]): Promise<Judged> {
  const gh = validatedGitHub(structuredClone(repos));
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate }), gh.fetch);
  try {
    for (const d of deliveries) {
      d.before?.(gh.standIn);
      const res = await app.deliver(d.event.split(".")[0]!, d.payload);
      assert.equal(res.status, 200, `delivery of ${d.event} answered ${res.status}: ${res.body}`);
    }
  } finally {
    await app.close();
  }
  return {
    standIn: gh.standIn,
    problems: gh.problems,
    run(headSha) {
      const runs = gh.standIn.checkRuns.filter((r) => r.head_sha === headSha && r.name === "agent-gate");
      assert.ok(runs.length > 0, `no agent-gate check run on ${headSha.slice(0, 7)}`);
      assert.equal(runs.length, 1, `${runs.length} agent-gate check runs on ${headSha.slice(0, 7)}, expected one`);
      return runs[0]!;
    },
  };
}

/** The whole text a reviewer reads on a check run. */
export function shown(run: StandInCheckRun): string {
  return `${run.output.title}\n${run.output.summary}\n${run.output.text}`;
}

/** Opens pull request `number` of the single repository and returns its check run's conclusion and text. */
export async function openAndJudge(r: StandInRepo, number: number): Promise<{ conclusion: string | null; text: string; run: StandInCheckRun }> {
  const pull = r.pulls.find((p) => p.number === number)!;
  const judged = await judge([r], [{ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, number) }]);
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(pull.head.sha);
  return { conclusion: run.conclusion, text: shown(run), run };
}
