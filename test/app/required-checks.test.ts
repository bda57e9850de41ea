// Required checks (issue 18 item 4) end to end through the GitHub port: the head's check runs read over HTTP from the
// stand-in (every exchange valid against GitHub's REST description), check_run.completed and .created as triggers
// (agent-gate's own never), and the gate over the fake: an agent PR waits for its tests, then passes on the same head,
// and waits again when they are re-run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { Octokit } from "@octokit/rest";
import { commitCheckRuns, CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import { toTrigger } from "../../src/adapters/github/triggers.js";
import { composeGate } from "../../src/app/compose.js";
import { DEMO_GITHUB_SIGNING_KEYS } from "../../src/demo/github/web-flow-key.js";
import { headChecks } from "../../src/app/required-checks.js";
import { Intake } from "../../src/app/intake.js";
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import { seedCheckRun } from "../../src/demo/github/check-runs.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { parseRepoConfig } from "../../src/config/repo-config.js";
import { neverMatching } from "../../src/cli/config-lint.js";
import { conclude } from "../../src/core/conclusion.js";
import { FakeGitHub, fromStandInRepo } from "../support/fake-github.js";
import { repo, sha, validated } from "../demo-github/support.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[];
const checkRunExamples = (action: string) => (examples.find((e) => e.name === "check_run")?.examples ?? []).filter((x) => x.action === action).map((x): Record<string, unknown> => ({ installation: { id: 42 }, ...x }));
const completedExamples = checkRunExamples("completed");
const createdExamples = checkRunExamples("created");
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const ACTIONS = { id: 15368, slug: "github-actions" };

test("the head's check runs: every App's, re-runs included, paginated; agent-gate's own left out by name and by App id", async () => {
  const standIn = new GitHubStandIn([repo("acme", "web", 77, 1)]);
  const head = sha(500);
  const at = { owner: "acme", name: "web" };
  seedCheckRun(standIn.checkRuns, at, { name: "tests", headSha: head, status: "completed", conclusion: "failure", app: ACTIONS });
  seedCheckRun(standIn.checkRuns, at, { name: "tests", headSha: head, status: "in_progress", app: ACTIONS, rerun: true });
  seedCheckRun(standIn.checkRuns, at, { name: "lint", headSha: head, status: "queued", app: { id: 77, slug: "linter" } });
  seedCheckRun(standIn.checkRuns, at, { name: "also-ours", headSha: head, status: "completed", conclusion: "success", app: { id: 1, slug: "agent-gate" } });
  seedCheckRun(standIn.checkRuns, at, { name: CHECK_NAME, headSha: head, status: "completed", conclusion: "success", app: { id: 999, slug: "forger" } });
  seedCheckRun(standIn.checkRuns, at, { name: "tests", headSha: sha(501), status: "completed", conclusion: "success", app: ACTIONS });
  const gh = validated(standIn);
  const octokit = new Octokit({ auth: "t", request: { fetch: gh.fetch }, log: quiet });
  const read = await commitCheckRuns(octokit, "acme", "web", head);
  assert.deepEqual([read.listed, read.reported, read.truncated], [5, 5, false]);
  const port = { commitCheckRuns: (o: string, r: string, s: string) => commitCheckRuns(octokit, o, r, s) };
  const facts = await headChecks(port, "acme", "web", head, { appId: 1 });
  assert.deepEqual(facts.runs.map((r) => [r.name, r.status, r.conclusion, r.app?.slug]).sort(), [["lint", "queued", null, "linter"], ["tests", "completed", "failure", "github-actions"], ["tests", "in_progress", null, "github-actions"]]);
  // Past the limit the list is marked cut short: the policy denies rather than judge a part.
  const cut = await commitCheckRuns(octokit, "acme", "web", head, 2);
  assert.deepEqual([cut.listed, cut.truncated], [2, true]);
  assert.deepEqual(gh.problems, []);
});

test("check_run.completed of another App is a trigger for the commit's open pull requests; agent-gate's own never is", () => {
  assert.ok(completedExamples.length > 0);
  for (const payload of completedExamples) {
    const cr = payload.check_run as Record<string, unknown>;
    const t = toTrigger("check_run", payload, CHECK_NAME, 1);
    assert.ok(t && t.kind === "pull_request");
    assert.equal(t.headSha, cr.head_sha);
    assert.deepEqual(t.pullNumbers, [], "found by the commit (pullsForCommit): the payload's list leaves out forks");
    assert.equal(t.completedCheck?.name, cr.name);
    assert.equal(t.event, "check_run.completed");
    assert.equal(toTrigger("check_run", { ...payload, check_run: { ...cr, name: CHECK_NAME } }, CHECK_NAME, 1), null, "our name");
    assert.equal(toTrigger("check_run", { ...payload, check_run: { ...cr, name: "tests", app: { ...(cr.app as object), id: 1 } } }, CHECK_NAME, 1), null, "our App");
  }
});

test("check_run.created of another App (a re-run is a new run, queued) is a trigger like completed; agent-gate's own never; rerequested only for ours", () => {
  assert.ok(createdExamples.length > 0);
  for (const payload of createdExamples) {
    const cr = payload.check_run as Record<string, unknown>;
    const t = toTrigger("check_run", payload, CHECK_NAME, 1);
    assert.ok(t && t.kind === "pull_request");
    assert.deepEqual([t.event, t.headSha, t.pullNumbers, t.completedCheck?.name], ["check_run.created", cr.head_sha, [], cr.name]);
    assert.equal(toTrigger("check_run", { ...payload, check_run: { ...cr, name: CHECK_NAME } }, CHECK_NAME, 1), null, "our name");
    assert.equal(toTrigger("check_run", { ...payload, check_run: { ...cr, name: "tests", app: { ...(cr.app as object), id: 1 } } }, CHECK_NAME, 1), null, "our App");
  }
  // GitHub sends rerequested only to the App whose run it is: another App's is no trigger, ours re-evaluates in place.
  const [rerequested] = checkRunExamples("rerequested");
  const rr = rerequested!.check_run as Record<string, unknown>;
  assert.equal(toTrigger("check_run", rerequested, CHECK_NAME, 1), null);
  const ours = toTrigger("check_run", { ...rerequested, check_run: { ...rr, name: CHECK_NAME } }, CHECK_NAME, 1);
  assert.ok(ours && ours.kind === "pull_request");
  assert.equal(ours.checkRunId, rr.id);
});

const { trustedRoot, scenarios } = loadScenarios();
const waits = scenarios.find((s) => s.name === "agent-pr-waits-for-tests")!;

/** GitHub's check_run.completed (or .created) example, made a run of `name` by `app` on acme/widgets' commit `head`. */
function completed(name: string, head: string, app: { id: number; slug: string }, action: "completed" | "created" = "completed") {
  const ex = (action === "completed" ? completedExamples : createdExamples)[0]!;
  return toTrigger("check_run", { ...ex, repository: { ...(ex.repository as object), name: "widgets", owner: { login: "acme" } }, check_run: { ...(ex.check_run as object), name, head_sha: head, app } }, CHECK_NAME, 1);
}

function fake(): FakeGitHub {
  return new FakeGitHub(fromStandInRepo(structuredClone(waits.repos[0]!)));
}

test("fake GitHub: an agent PR waits for its tests, then passes on the same head when they complete", async () => {
  const gh = fake();
  const head = gh.state.pulls[0]!.pull.head.sha;
  const pr = gh.state.pulls[0]!.pull.number;
  gh.state.commitChecks = { [head]: [{ id: 100, name: "tests", status: "in_progress", conclusion: null, app: ACTIONS }] };
  const gate = await composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS, appId: 1 });
  const [first] = await gate.handle(gh, { kind: "pull_request", event: "pull_request.opened", owner: "acme", repo: "widgets", installationId: 77, headSha: head, pullNumbers: [pr] }, { deliveryId: "rc-1" });
  assert.equal(first?.conclusion, "failure");
  assert.equal(first?.title, "Waiting for required checks: tests");
  assert.ok(gh.methods().includes("commitCheckRuns"));

  // Another App's check that no rule requires completes: nothing is judged again, nothing written.
  const writes = gh.writes().length;
  const lint = completed("lint", head, { id: 77, slug: "linter" });
  assert.deepEqual(await gate.handle(gh, lint!, { deliveryId: "rc-2" }), []);
  assert.equal(gh.writes().length, writes);

  // A run of `tests` by another App than the one named does not count either.
  gh.state.commitChecks[head]!.push({ id: 101, name: "tests", status: "completed", conclusion: "success", app: { id: 999, slug: "forger" } });
  const forged = completed("tests", head, { id: 999, slug: "forger" });
  assert.deepEqual(await gate.handle(gh, forged!, { deliveryId: "rc-3" }), [], "the config names github-actions: another App's completion triggers nothing");

  gh.state.commitChecks[head]![0] = { id: 100, name: "tests", status: "completed", conclusion: "success", app: ACTIONS };
  const done = completed("tests", head, ACTIONS);
  const [second] = await gate.handle(gh, done!, { deliveryId: "rc-4" });
  assert.equal(second?.conclusion, "success", second?.title);
  assert.equal(second?.headSha, head);
  assert.equal(gh.runs.filter((r) => r.headSha === head).length, 1, "the same check run, completed again");
});

test("fake GitHub: a required check re-run after it passed (check_run.created, queued) makes the same head wait again; an unrequired one's start judges nothing", async () => {
  const gh = fake();
  const head = gh.state.pulls[0]!.pull.head.sha;
  const pr = gh.state.pulls[0]!.pull.number;
  gh.state.commitChecks = { [head]: [{ id: 100, name: "tests", status: "completed", conclusion: "success", app: ACTIONS }] };
  const gate = await composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS, appId: 1 });
  const [passed] = await gate.handle(gh, { kind: "pull_request", event: "pull_request.opened", owner: "acme", repo: "widgets", installationId: 77, headSha: head, pullNumbers: [pr] }, { deliveryId: "rr-1" });
  assert.equal(passed?.conclusion, "success", passed?.title);

  // A check no rule requires starts: nothing judged, nothing written.
  const writes = gh.writes().length;
  gh.state.commitChecks[head]!.push({ id: 101, name: "lint", status: "queued", conclusion: null, app: { id: 77, slug: "linter" } });
  assert.deepEqual(await gate.handle(gh, completed("lint", head, { id: 77, slug: "linter" }, "created")!, { deliveryId: "rr-2" }), []);
  assert.equal(gh.writes().length, writes);

  // tests is re-run: GitHub creates a new run (a larger id), queued; its check_run.created judges the head again.
  gh.state.commitChecks[head]!.push({ id: 102, name: "tests", status: "queued", conclusion: null, app: ACTIONS });
  const rerun = completed("tests", head, ACTIONS, "created");
  assert.ok(rerun);
  assert.equal(rerun.event, "check_run.created");
  const [waiting] = await gate.handle(gh, rerun, { deliveryId: "rr-3" });
  assert.equal(waiting?.conclusion, "failure");
  assert.equal(waiting?.title, "Waiting for required checks: tests");

  gh.state.commitChecks[head]![2] = { id: 102, name: "tests", status: "completed", conclusion: "success", app: ACTIONS };
  const [again] = await gate.handle(gh, completed("tests", head, ACTIONS)!, { deliveryId: "rr-4" });
  assert.equal(again?.conclusion, "success", again?.title);
  assert.equal(gh.runs.filter((r) => r.headSha === head).length, 1, "one check run for the head throughout");
});

test("fake GitHub: a failed required check denies, naming it; the check runs failing to read fails closed", async () => {
  const gh = fake();
  const head = gh.state.pulls[0]!.pull.head.sha;
  gh.state.commitChecks = { [head]: [{ id: 100, name: "tests", status: "completed", conclusion: "failure", app: ACTIONS }] };
  const gate = await composeGate({ trustedRoot, githubSigningKeys: DEMO_GITHUB_SIGNING_KEYS, appId: 1 });
  const trigger = { kind: "pull_request" as const, event: "pull_request.synchronize", owner: "acme", repo: "widgets", installationId: 77, headSha: head, pullNumbers: [gh.state.pulls[0]!.pull.number] };
  const [failed] = await gate.handle(gh, trigger, { deliveryId: "rc-5" });
  assert.equal(failed?.conclusion, "failure");
  assert.match(failed?.title ?? "", /required check `tests` from github-actions concluded failure/);
  gh.state.failing = { commitCheckRuns: Object.assign(new Error("Server Error"), { status: 502 }) };
  const [broken] = await gate.handle(gh, trigger, { deliveryId: "rc-6" });
  assert.equal(broken?.conclusion, "failure");
});

test("config: required checks by name or {name, app, app_id}; agent-gate itself refused; a name alone warns in config validate", () => {
  const ok = parseRepoConfig("rules:\n  required_checks:\n    checks:\n      - tests\n      - name: lint\n        app: github-actions\n        app_id: 15368\n    defined_in: [ci/**]\n");
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.rules.required_checks, { enabled: true, mode: "enforce", checks: ["tests", { name: "lint", app: "github-actions", app_id: 15368 }], defined_in: ["ci/**"] });
  const two = parseRepoConfig("rules:\n  required_checks:\n    checks: [tests]\n    approvals: 2\n");
  assert.ok(two.ok);
  assert.equal(two.config.rules.required_checks.approvals, 2);
  const none = parseRepoConfig("rules:\n  required_checks:\n    checks: [tests]\n    approvals: 0\n");
  assert.ok(!none.ok);
  assert.match(none.messages.join("\n"), /approvals.*expected a whole number of at least 1/);
  const own = parseRepoConfig("rules:\n  required_checks:\n    checks: [agent-gate]\n");
  assert.ok(!own.ok);
  assert.match(own.messages.join("\n"), /expected another check than agent-gate's own/);
  const badApp = parseRepoConfig("rules:\n  required_checks:\n    checks:\n      - name: tests\n        app: GitHub Actions\n");
  assert.ok(!badApp.ok);
  assert.match(badApp.messages.join("\n"), /expected a GitHub App slug/);
  const warnings = neverMatching({ rules: { required_checks: { checks: ["tests", { name: "lint", app: "github-actions" }] } } });
  assert.deepEqual(warnings.map((w) => w.path.join(".")), ["rules.required_checks.checks.0"]);
  assert.match(warnings[0]!.message, /names no App: any workflow or token with checks: write/);
});

test("title: 'Waiting for required checks' only when pending required checks are all that denies; still a failure", () => {
  const pending = (check: string) => ({ rule: "required-checks", msg: `waiting for required check \`${check}\``, details: { check, state: "pending" } });
  const d = (deny: object[]) => ({ kind: "decision" as const, decision: { allow: deny.length === 0, deny, warn: [] } as never });
  assert.deepEqual(conclude(d([pending("tests"), pending("lint"), pending("tests")])), { conclusion: "failure", outcome: "denied", title: "Waiting for required checks: tests, lint" });
  assert.match(conclude(d([pending("tests"), { rule: "size", msg: "too big" }])).title, /^Blocked: /);
  assert.match(conclude(d([{ rule: "required-checks", msg: "required check `tests` concluded failure", details: { check: "tests", state: "failed" } }])).title, /^Blocked: required check/);
});

test("durable intake: check_run.completed and .created are taken in as triggers, agent-gate's own run (by name or App id) is not", () => {
  const intake = new Intake({} as never, {} as never);
  const ex = completedExamples[0]!;
  const cr = ex.check_run as Record<string, unknown>;
  const other = intake.toTrigger("d-1", "check_run", { ...ex, check_run: { ...cr, name: "tests", app: ACTIONS } }, 1);
  assert.equal(other?.event, "check_run.completed");
  assert.equal(intake.toTrigger("d-2", "check_run", { ...ex, check_run: { ...cr, name: "tests", app: { id: 1, slug: "agent-gate" } } }, 1), null);
  assert.equal(intake.toTrigger("d-3", "check_run", { ...ex, check_run: { ...cr, name: CHECK_NAME, app: ACTIONS } }, 1), null);
  const created = createdExamples[0]!;
  const cc = created.check_run as Record<string, unknown>;
  assert.equal(intake.toTrigger("d-4", "check_run", { ...created, check_run: { ...cc, name: "tests", app: ACTIONS } }, 1)?.event, "check_run.created");
  assert.equal(intake.toTrigger("d-5", "check_run", { ...created, check_run: { ...cc, name: "tests", app: { id: 1, slug: "agent-gate" } } }, 1), null);
});

test("evaluate --scenario: the waiting scenario through the stable door; a malformed mutate.checkRuns entry is refused naming the field", async () => {
  const out: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = () => undefined;
  try {
    const code = await evaluateCommand(["--scenario", "fixtures/scenarios/26-agent-pr-waits-for-tests.json", "--json"]);
    const doc = JSON.parse(out.join("\n")) as { steps: { check_run: { conclusion: string; title: string }; problems: string[] }[] };
    assert.equal(code, 1, "a step ends in failure");
    assert.deepEqual(doc.steps.map((s) => [s.check_run.conclusion, s.problems]), [["failure", []], ["success", []]]);
    assert.equal(doc.steps[0]!.check_run.title, "Waiting for required checks: tests");
    const bad = structuredClone(waits) as unknown as { steps: { mutate: { checkRuns: Record<string, unknown>[] } }[] };
    bad.steps[0]!.mutate.checkRuns[0]!.status = "done";
    const file = join(mkdtempSync(join(tmpdir(), "rc-")), "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    out.length = 0;
    assert.equal(await evaluateCommand(["--scenario", file, "--json"]), 2);
    assert.match(out.join("\n"), /steps\.0\.mutate\.checkRuns\.0\.status: expected \\"queued\\", \\"in_progress\\" or \\"completed\\"/);
  } finally {
    console.log = log;
    console.error = error;
  }
});
