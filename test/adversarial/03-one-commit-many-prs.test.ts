// Class 3, "one commit, many pull requests": a check run belongs to a commit and shows on every pull request whose
// head it is, forks included. Before the fix the last pull request evaluated won, so a stranger who opened a pull
// request from a fork with the same head commit chose the verdict. Each case opens such pull requests in some order
// of events (opened first or second, a review, a synchronize, a reopen, a check suite from the fork) and asserts the
// two invariants: no pull request's content turns another's verdict into success, and a pull request from outside
// the repository's collaborators cannot turn a maintainer's pull request into failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../../src/app/compose.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { InstallationGitHub } from "../../src/adapters/github/facts-port.js";
import type { PullRequestTrigger } from "../../src/adapters/github/triggers.js";
import { openStorage } from "../../src/adapters/storage/index.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { Account, StandInCommit, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub } from "../support/github.js";
import { agentPull, alice, bob, commit, humanPull, judge, mallory, payloadFor, provenanceBlock, repo, reviewPayload, shown, sigstore, type Delivery, type Judged } from "./support.js";

const eve: Account = { login: "eve", id: 6667, type: "User" };
const SHARED = "This commit is the head of 2 open pull requests";
const NOT_COUNTED = "no: a fork of someone without write access";

/** Where a fork's pull request comes from: the account's own copy of the repository. */
function forkOf(a: Account): { owner: string; name: string; id: number } {
  return { owner: a.login, name: "widgets", id: 900_000 + a.id };
}

/** A commit whose author looks human: only the pull request that carries the agent's evidence says otherwise. */
function plainCommit(label: string): StandInCommit {
  return commit(label, { name: "Dev", email: "dev@example.com", account: null });
}

/** The agent's pull request at `c`: verified provenance, no approval, so it fails (human-approval). */
async function failingAgentPull(number: number, c: StandInCommit): Promise<StandInPull> {
  return agentPull(number, [c], `Adds validation.\n\n${await provenanceBlock({ commits: [c] })}`);
}

/** A stranger's pull request from a fork with head `c`, looking like a plain human change: it passes on its own. */
function strangersPassingFork(number: number, c: StandInCommit, who: Account = mallory): StandInPull {
  return humanPull(number, [c], who, { title: "Fix typo", head: { ref: "patch-1", sha: c.sha, repo: forkOf(who) } });
}

/** A stranger's pull request from a fork with head `c` on an agent's branch name: an agent PR with no approval, so it fails. */
function strangersFailingFork(number: number, c: StandInCommit, who: Account = mallory): StandInPull {
  return humanPull(number, [c], who, { title: "Improve things", head: { ref: "claude/improve", sha: c.sha, repo: forkOf(who) } });
}

const opened = (r: StandInRepo, n: number): Delivery => ({ event: "pull_request.opened", payload: payloadFor("pull_request.opened", r, n) });
const reopened = (r: StandInRepo, n: number): Delivery => ({ event: "pull_request.reopened", payload: payloadFor("pull_request.reopened", r, n) });
const synchronized = (r: StandInRepo, n: number, before?: (s: GitHubStandIn) => void): Delivery => ({ event: "pull_request.synchronize", payload: payloadFor("pull_request.synchronize", r, n), ...(before ? { before } : {}) });

/** check_suite.requested for `sha` as GitHub sends it for a fork's push: it names no pull request. */
function suiteFromFork(r: StandInRepo, sha: string): Delivery {
  const p = payloadFor("check_suite.requested", r, 1);
  return { event: "check_suite.requested", payload: { ...p, check_suite: { ...(p.check_suite as object), head_sha: sha, head_branch: "patch-1", pull_requests: [] } } };
}

/** The one check run on `sha`, with what every case asserts: valid exchanges, and both pull requests listed. */
function checkOn(judged: Judged, sha: string, numbers: readonly number[]): { conclusion: string | null; title: string; text: string } {
  assert.deepEqual(judged.problems, [], "every request and response matches GitHub's REST description");
  const run = judged.run(sha);
  const text = shown(run);
  assert.ok(text.includes(`This commit is the head of ${numbers.length} open pull requests`), "the check says the commit heads several pull requests");
  for (const n of numbers) assert.match(text, new RegExp(`\\| #${n} \\|`), `#${n} is listed`);
  return { conclusion: run.conclusion, title: run.output.title ?? "", text };
}

// Invariant 1: no pull request's content can turn another pull request's verdict into success.

test("a stranger's fork PR opened second with the same head cannot turn a failing agent PR green", async () => {
  const c = plainCommit("a1");
  const r = repo([await failingAgentPull(1, c), strangersPassingFork(2, c)]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: an agent pull request needs 1 human approval/);
  assert.match(check.text, /\| #1 \| `claude\[bot\]` \| this repository \| ❌ fails \| yes \|/);
  assert.match(check.text, new RegExp(`\\| #2 \\| \`mallory\` \\| fork \\| ✅ passes \\| ${NOT_COUNTED} \\|`));
});

test("a stranger's fork PR opened first and reopened after the agent PR cannot turn the agent PR green", async () => {
  const c = plainCommit("a2");
  const r = repo([await failingAgentPull(1, c), strangersPassingFork(2, c)]);
  const check = checkOn(await judge([r], [opened(r, 2), opened(r, 1), reopened(r, 2)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: an agent pull request needs 1 human approval/);
});

test("a maintainer's approval of the stranger's fork PR does not approve the agent PR with the same head", async () => {
  const c = plainCommit("a3");
  const r = repo([await failingAgentPull(1, c), strangersPassingFork(2, c)]);
  const approve: Delivery = {
    event: "pull_request_review.submitted",
    payload: reviewPayload(r, 2, bob, c.sha),
    before: (s) => s.pull("acme", "widgets", 2)!.reviews.push({ user: bob, state: "APPROVED", commit_id: c.sha }),
  };
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2), approve]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure", "bob approved #2, not #1");
  assert.match(check.title, /needs 1 human approval on the head commit .* \(has 0\)/);
});

test("a check suite requested from the stranger's fork (naming no PR) cannot turn the agent PR green", async () => {
  const c = plainCommit("a4");
  // GitHub lists the fork's pull request first (the order the old gate's last write followed).
  const r = repo([strangersPassingFork(2, c), await failingAgentPull(1, c)]);
  const check = checkOn(await judge([r], [opened(r, 1), suiteFromFork(r, c.sha)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: an agent pull request needs 1 human approval/);
});

test("a stranger's fork PR synchronized to the agent's new head after the agent's push cannot turn that head green", async () => {
  const c1 = plainCommit("a5-1");
  const c2 = plainCommit("a5-2");
  const r = repo([await failingAgentPull(1, c1), strangersPassingFork(2, c1)]);
  const block = await provenanceBlock({ commits: [c1, c2] });
  // Both branches move to c2: the agent pushes, mallory fetches its branch and pushes it to her fork.
  const push = (pulls: StandInPull[]): void => {
    for (const p of pulls) Object.assign(p, { commits: [c1, c2], head: { ...p.head, sha: c2.sha }, ...(p.number === 1 ? { body: `Adds validation.\n\n${block}` } : {}) });
  };
  const after = structuredClone(r);
  push(after.pulls);
  const pushed = synchronized(after, 1, (s) => push(s.repo("acme", "widgets")!.pulls));
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2), pushed, synchronized(after, 2)]), c2.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.title, /^Blocked: an agent pull request needs 1 human approval/);
});

test("another maintainer's passing PR with the same head cannot turn the agent PR green either", async () => {
  // A pull request with standing counts, but only ever adds failures: its content is no approval of another's.
  const c = plainCommit("a6");
  const bobs = humanPull(2, [c], bob, { head: { ref: "bob/same", sha: c.sha } });
  const r = repo([await failingAgentPull(1, c), bobs]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.text, /\| #2 \| `bob` \| this repository \| ✅ passes \| yes \|/);
});

test("a maintainer's failing PR from their own fork still counts beside another maintainer's passing PR", async () => {
  // Standing is the author's write access as well as the branch's home: bob's fork counts like a branch here.
  const c = plainCommit("a7");
  const bobsFork = strangersFailingFork(1, c, bob);
  const alices = humanPull(2, [c], alice, { head: { ref: "alice/same", sha: c.sha } });
  const r = repo([bobsFork, alices]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure");
  assert.match(check.text, /\| #1 \| `bob` \| fork \| ❌ fails \| yes \|/);
});

test("when no PR has standing, one stranger's passing fork cannot turn another stranger's failing fork green", async () => {
  const c = plainCommit("a8");
  const r = repo([strangersFailingFork(1, c, eve), strangersPassingFork(2, c, mallory)]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), c.sha, [1, 2]);
  assert.equal(check.conclusion, "failure", "every one counts when none has standing");
  assert.match(check.title, /^Blocked/);
  assert.match(check.text, /\| #1 \| `eve` \| fork \| ❌ fails \| yes \|/);
  assert.match(check.text, /\| #2 \| `mallory` \| fork \| ✅ passes \| yes \|/);
});

// Invariant 2: a pull request from outside the repository's collaborators cannot turn a maintainer's PR into failure.

test("a stranger's failing fork PR opened second with the same head cannot fail a maintainer's passing PR", async () => {
  const h = commit("b1", "human-alice");
  const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), h.sha, [1, 2]);
  assert.equal(check.conclusion, "success");
  assert.equal(check.title, "Mergeable: every rule passes");
  assert.match(check.text, new RegExp(`\\| #2 \\| \`mallory\` \\| fork \\| ❌ fails \\| ${NOT_COUNTED} \\|`));
});

test("a stranger's failing fork PR opened first and reopened later cannot fail a maintainer's passing PR", async () => {
  const h = commit("b2", "human-alice");
  const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
  const check = checkOn(await judge([r], [opened(r, 2), opened(r, 1), reopened(r, 2)]), h.sha, [1, 2]);
  assert.equal(check.conclusion, "success");
  assert.ok(check.text.includes(SHARED));
});

test("a check suite requested from a stranger's failing fork cannot fail a maintainer's passing PR", async () => {
  const h = commit("b3", "human-alice");
  const r = repo([strangersFailingFork(2, h), humanPull(1, [h])]);
  const check = checkOn(await judge([r], [opened(r, 1), suiteFromFork(r, h.sha)]), h.sha, [1, 2]);
  assert.equal(check.conclusion, "success");
});

test("a stranger's review on her own failing fork PR cannot fail a maintainer's passing PR with the same head", async () => {
  const h = commit("b4", "human-alice");
  const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
  const review: Delivery = {
    event: "pull_request_review.submitted",
    payload: reviewPayload(r, 2, mallory, h.sha),
    before: (s) => s.pull("acme", "widgets", 2)!.reviews.push({ user: mallory, state: "CHANGES_REQUESTED", commit_id: h.sha }),
  };
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2), review]), h.sha, [1, 2]);
  assert.equal(check.conclusion, "success");
});

test("a read-only user's PR from the maintainer's own branch in the repository cannot fail the maintainer's PR", async () => {
  // GitHub lets organisation members (read access is enough) open a pull request from any branch of the repository.
  // The branch's home is not the author's standing: mallory can push nowhere here, so her pull request counts no more
  // than a fork's.
  const h = commit("b5", "human-alice");
  const hers = humanPull(2, [h], mallory, { title: "Same branch, my words", head: { ref: "claude/alice-change", sha: h.sha } });
  const r = repo([humanPull(1, [h]), hers]);
  const check = checkOn(await judge([r], [opened(r, 1), opened(r, 2)]), h.sha, [1, 2]);
  assert.equal(check.conclusion, "success");
  assert.match(check.text, /\| #2 \| `mallory` \| this repository \| ❌ fails \| no: /);
});

// A pull request leaving a shared head (closed, or pushed to a new head) changes which pull requests the commit's one
// check stands for: the commit is judged again with those still heading it, never left with a verdict that counted
// the one that left.

/** The stand-in's pull request `n`, changed as GitHub holds it after `change`. */
const changePull = (s: GitHubStandIn, n: number, change: (p: StandInPull) => void): void => change(s.pull("acme", "widgets", n)!);
const closeIt = (p: StandInPull): void => void (p.state = "closed");

test("a maintainer's PR closed: the commit it shared with a stranger's failing fork PR is judged again, and fails", async () => {
  const h = commit("c1", "human-alice");
  const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
  const closed = structuredClone(r);
  closeIt(closed.pulls[0]!);
  const close: Delivery = { event: "pull_request.closed", payload: payloadFor("pull_request.closed", closed, 1), before: (s) => changePull(s, 1, closeIt) };
  const judged = await judge([r], [opened(r, 1), opened(r, 2), close]);
  assert.deepEqual(judged.problems, []);
  const run = judged.run(h.sha);
  assert.equal(run.conclusion, "failure", `#2 alone heads the commit now: ${run.output.title}`);
  assert.match(run.output.title ?? "", /^Blocked/);
  assert.ok(!shown(run).includes(SHARED), "the check no longer counts #1");
});

test("a maintainer's PR pushed to a new head: the commit it left, still a stranger's failing fork PR's head, fails", async () => {
  const h = commit("c2", "human-alice");
  const h2 = commit("c2-next", "human-alice");
  const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
  const moveOn = (p: StandInPull): void => void Object.assign(p, { commits: [h, h2], head: { ...p.head, sha: h2.sha } });
  const moved = structuredClone(r);
  moveOn(moved.pulls[0]!);
  const push: Delivery = { event: "pull_request.synchronize", payload: payloadFor("pull_request.synchronize", moved, 1, { before: h.sha, after: h2.sha }), before: (s) => changePull(s, 1, moveOn) };
  const judged = await judge([r], [opened(r, 1), opened(r, 2), push]);
  assert.deepEqual(judged.problems, []);
  const left = judged.run(h.sha);
  assert.equal(left.conclusion, "failure", `#2 alone heads the old commit now: ${left.output.title}`);
  assert.ok(!shown(left).includes(SHARED), "the check no longer counts #1");
  assert.equal(judged.run(h2.sha).conclusion, "success", "#1's new head is judged as ever");
});

/** PR #1 of `r` closed: the delivery, and how many requests the stand-in had seen when it came. */
function closing(r: StandInRepo): { close: Delivery; mark: () => number } {
  const closed = structuredClone(r);
  closeIt(closed.pulls[0]!);
  let seen = 0;
  const before = (s: GitHubStandIn): void => {
    seen = s.requests.length;
    changePull(s, 1, closeIt);
  };
  return { close: { event: "pull_request.closed", payload: payloadFor("pull_request.closed", closed, 1), before }, mark: () => seen };
}

test("a lone PR closing costs no request at all: the store says the commit's last verdict was its alone", async () => {
  const h = commit("c3", "human-alice");
  const r = repo([humanPull(1, [h])]);
  const { close, mark } = closing(r);
  const judged = await judge([r], [opened(r, 1), close]);
  assert.deepEqual(judged.problems, []);
  assert.deepEqual(judged.standIn.requests.slice(mark()).map((q) => `${q.method} ${q.path}`), []);
  assert.equal(judged.run(h.sha).conclusion, "success", "the check of the commit no open PR heads is left as it was");
});

test("a PR closing on a commit the store knows nothing of (never judged, or pruned) asks GitHub who else heads it", async () => {
  const h = commit("c5", "human-alice");
  const r = repo([humanPull(1, [h])]);
  const { close, mark } = closing(r);
  const judged = await judge([r], [close]);
  assert.deepEqual(judged.problems, []);
  // (the App's first delivery also gets an installation token)
  assert.deepEqual(judged.standIn.requests.slice(mark()).filter((q) => q.path.startsWith("/repos/")).map((q) => `${q.method} ${q.path}`), [`GET /repos/acme/widgets/commits/${h.sha}/pulls`]);
  assert.ok(!judged.standIn.checkRuns.some((c) => c.head_sha === h.sha), "nothing heads it: nothing is written");
});

test("a lone PR pushed to a new head judges only its new head: no request at all about the old one", async () => {
  const h = commit("c4", "human-alice");
  const h2 = commit("c4-next", "human-alice");
  const r = repo([humanPull(1, [h])]);
  const moveOn = (p: StandInPull): void => void Object.assign(p, { commits: [h, h2], head: { ...p.head, sha: h2.sha } });
  const moved = structuredClone(r);
  moveOn(moved.pulls[0]!);
  let mark = 0;
  const push: Delivery = {
    event: "pull_request.synchronize",
    payload: payloadFor("pull_request.synchronize", moved, 1, { before: h.sha, after: h2.sha }),
    before: (s) => {
      mark = s.requests.length;
      changePull(s, 1, moveOn);
    },
  };
  const judged = await judge([r], [opened(r, 1), push]);
  assert.deepEqual(judged.problems, []);
  const after = judged.standIn.requests.slice(mark);
  assert.deepEqual(after.filter((q) => q.path.includes(h.sha)).map((q) => `${q.method} ${q.path}`), [], "the store says the old commit's last verdict was #1's alone");
  const oldRun = judged.run(h.sha);
  assert.ok(!after.some((q) => q.write && q.path.endsWith(`/check-runs/${oldRun.id}`)), "the old head's check is not written again");
  assert.equal(judged.run(h2.sha).conclusion, "success");
});

// A closed pull request heads nothing: no event on it (a label a release bot adds to a merged pull request, a review,
// a job queued before it closed) counts its verdict again on the commit it headed.

const closedEvents: [string, (closed: StandInRepo, h: StandInCommit) => Delivery][] = [
  ["labeled (as release bots label merged pull requests)", (closed) => ({ event: "pull_request.labeled", payload: payloadFor("pull_request.labeled", closed, 1) })],
  ["unlabeled", (closed) => ({ event: "pull_request.unlabeled", payload: payloadFor("pull_request.unlabeled", closed, 1) })],
  ["reviewed", (closed, h) => ({ event: "pull_request_review.submitted", payload: reviewPayload(closed, 1, bob, h.sha) })],
];
for (const [what, after] of closedEvents) {
  test(`a maintainer's closed PR ${what} afterwards does not count again: the commit it shared with a stranger's failing fork PR still fails`, async () => {
    const h = commit(`c6-${what}`, "human-alice");
    const r = repo([humanPull(1, [h]), strangersFailingFork(2, h)]);
    const { close } = closing(r);
    const closed = structuredClone(r);
    closeIt(closed.pulls[0]!);
    const judged = await judge([r], [opened(r, 1), opened(r, 2), close, after(closed, h)]);
    assert.deepEqual(judged.problems, []);
    const run = judged.run(h.sha);
    assert.equal(run.conclusion, "failure", `#2 alone heads the commit: ${run.output.title}`);
    assert.ok(!shown(run).includes(SHARED), "the check does not count the closed #1");
  });
}

test("a lone merged PR labeled afterwards writes nothing: its head is no open pull request's", async () => {
  const h = commit("c7", "human-alice");
  const r = repo([humanPull(1, [h])]);
  const { close } = closing(r);
  const closed = structuredClone(r);
  closeIt(closed.pulls[0]!);
  let mark = 0;
  const label: Delivery = { event: "pull_request.labeled", payload: payloadFor("pull_request.labeled", closed, 1), before: (s) => void (mark = s.requests.length) };
  const judged = await judge([r], [opened(r, 1), close, label]);
  assert.deepEqual(judged.problems, []);
  assert.deepEqual(judged.standIn.requests.slice(mark).filter((q) => q.write).map((q) => `${q.method} ${q.path}`), [], "no check run written");
  assert.equal(judged.run(h.sha).conclusion, "success", "left as it was");
});

/**
 * The gate over a durable store (embedded PostgreSQL), handling jobs in the order a test gives, each with the time its
 * delivery was received: jobs of a queue are not run in the order their deliveries came.
 */
async function jobs(repos: StandInRepo[]): Promise<{ gh: ReturnType<typeof validatedGitHub>; run(trigger: PullRequestTrigger, id: string, second: number, github?: InstallationGitHub): Promise<unknown>; api(): InstallationGitHub; close(): Promise<void> }> {
  const storage = await openStorage({ dataDir: "memory://" });
  const gh = validatedGitHub(structuredClone(repos));
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, store: new SqlGateStore(storage.db), tlogEntryUrl: () => undefined });
  const api = (): InstallationGitHub => new GitHubConnector().installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
  const run = (trigger: PullRequestTrigger, id: string, second: number, github = api()) => gate.handle(github, trigger, { deliveryId: id, receivedAt: new Date(Date.UTC(2026, 10, 27, 10, 0, second)) });
  return { gh, run, api, close: () => storage.close() };
}

const at = (h: StandInCommit, event: string, pullNumbers: number[], extra: Partial<PullRequestTrigger> = {}): PullRequestTrigger => ({ kind: "pull_request", event, owner: "acme", repo: "widgets", installationId: 77, headSha: h.sha, pullNumbers, ...extra });
const lastRun = (gh: { standIn: GitHubStandIn }, h: StandInCommit) => gh.standIn.checkRuns.filter((c) => c.head_sha === h.sha && c.name === "agent-gate").at(-1)!;

test("a closed PR's own job that runs after its close (taken as a lone PR's: nothing written) cannot count it for the stranger's fork that opened meanwhile", async () => {
  // #1 opened (alone: success); #2 opened, its job still waiting when #1's close runs, which the store lets skip
  // (the commit's last verdict was one pull request's); then #2's job, then #1's label, received before the close.
  const h = commit("c8", "human-alice");
  const fork = strangersFailingFork(2, h);
  fork.state = "closed"; // not yet opened when #1's first job runs
  const q = await jobs([repo([humanPull(1, [h]), fork])]);
  try {
    const pull = (n: number): StandInPull => q.gh.standIn.pull("acme", "widgets", n)!;
    await q.run(at(h, "pull_request.opened", [1]), "d-open-1", 0);
    pull(2).state = "open";
    closeIt(pull(1));
    await q.run(at(h, "pull_request.closed", [], { leftHead: h.sha }), "d-close-1", 3);
    await q.run(at(h, "pull_request.opened", [2]), "d-open-2", 1);
    await q.run(at(h, "pull_request.labeled", [1]), "d-label-1", 2);
    assert.deepEqual(q.gh.problems, []);
    const run = lastRun(q.gh, h);
    assert.equal(run.conclusion, "failure", `#2 alone heads the commit: ${run.output.title}`);
  } finally {
    await q.close();
  }
});

test("a closed PR's job that read it open just before it closed, and writes after the close was skipped, does not count it", async () => {
  // #1's label is read while #1 is open (with #2 beside it); then #1 closes, #2's job judges #2 alone, #1's close is
  // skipped (the last verdict was one pull request's), and only then does the label's job write.
  const h = commit("c9", "human-alice");
  const fork = strangersFailingFork(2, h);
  fork.state = "closed";
  const q = await jobs([repo([humanPull(1, [h]), fork])]);
  try {
    const pull = (n: number): StandInPull => q.gh.standIn.pull("acme", "widgets", n)!;
    await q.run(at(h, "pull_request.opened", [1]), "d-open-1", 0);
    pull(2).state = "open";
    const api = q.api();
    let meanwhile = true;
    const stale: InstallationGitHub = Object.assign(Object.create(api) as InstallationGitHub, {
      pull: async (owner: string, repo: string, n: number): Promise<unknown> => {
        const payload = await api.pull(owner, repo, n);
        if (meanwhile) {
          meanwhile = false;
          closeIt(pull(1));
          await q.run(at(h, "pull_request.opened", [2]), "d-open-2", 1);
          await q.run(at(h, "pull_request.closed", [], { leftHead: h.sha }), "d-close-1", 3);
        }
        return payload;
      },
    });
    await q.run(at(h, "pull_request.labeled", [1]), "d-label-1", 2, stale);
    assert.deepEqual(q.gh.problems, []);
    const run = lastRun(q.gh, h);
    assert.equal(run.conclusion, "failure", `#2 alone heads the commit: ${run.output.title}`);
    assert.ok(!shown(run).includes(SHARED), "the check does not count the closed #1");
  } finally {
    await q.close();
  }
});
