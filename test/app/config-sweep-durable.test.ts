// A config sweep through durable intake, as the App server runs it (jobs in the database, decisions in the audit log):
// a push to a base that a repository's config extends (`_extends: policies:shared/gate.yml`, a path that is no
// repository's own config) is taken in as a job; the audit log's config uses name the repository whose decisions read
// that file; its sweep queues an evaluation of each open pull request judged under the old digest, and the worker
// turns the check to failure once the base requires two approvals, with no new push to the pull request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { openDemoRecorder } from "../../src/demo/record.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { SqlConfigUses } from "../../src/adapters/storage/config-uses.js";
import { Intake } from "../../src/app/intake.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { CHECK_NAME } from "../../src/adapters/github/check-runs.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { validatedGitHub } from "../support/github.js";
import { startApp } from "../support/probot.js";
import { CONFIG, INSTALLATION, OWNER, agentPull, bob, commit, payloadFor, provenanceBlock, repo, sigstore } from "../adversarial/support.js";

const require = createRequire(import.meta.url);
const pushExample = (require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, unknown>[] }[]).find((e) => e.name === "push")!.examples[4]!;

function push(r: StandInRepo, files: string[]): Record<string, unknown> {
  const ex = structuredClone(pushExample);
  const repository = { ...(ex.repository as object), id: r.id, name: r.name, full_name: `${r.owner}/${r.name}`, default_branch: r.defaultBranch, owner: { ...(ex.repository as { owner: object }).owner, login: r.owner, name: r.owner } };
  return { ...ex, ref: `refs/heads/${r.defaultBranch}`, forced: false, repository, installation: { id: INSTALLATION }, commits: [{ ...((ex.commits as object[])[0] ?? {}), added: [], removed: [], modified: files }] };
}

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 100));
}

test("durable intake: a push to a base another repository's config extends re-judges that repository's open PR", { timeout: 300_000 }, async () => {
  const c = commit("base-sweep");
  const block = await provenanceBlock({ commits: [c] });
  const widgets = repo([agentPull(1, [c], `Adds validation.\n\n${block}`, { reviews: [{ user: bob, state: "APPROVED", commit_id: c.sha }] })], "_extends: policies:shared/gate.yml\n");
  const policies: StandInRepo = { owner: OWNER, name: "policies", id: 424277, defaultBranch: "main", files: { "shared/gate.yml": CONFIG }, pulls: [] };
  const recorder = await openDemoRecorder("memory://");
  const queue = await JobQueue.open(recorder.storage.db, { pollingIntervalSeconds: 0.5 });
  const store = new SqlGateStore(recorder.storage.db);
  const intake = new Intake(queue, store);
  const gh = validatedGitHub([widgets, policies]);
  const gate = await composeGate({ trustedRoot: (await sigstore()).trustedRoot, store, engine: recorder.engine, onDecision: recorder.onDecision, tlogEntryUrl: () => undefined });
  const app = await startApp(agentGateApp({ gate, configUses: new SqlConfigUses(recorder.storage.db), durable: { intake, concurrency: 1, reconcileEverySeconds: 0, reconcileBudget: 50 } }), gh.fetch);
  try {
    const run = () => gh.standIn.checkRuns.filter((r) => r.head_sha === c.sha && r.name === CHECK_NAME).at(-1);
    assert.equal((await app.deliver("pull_request", payloadFor("pull_request.opened", widgets, 1))).status, 200);
    await until(() => run()?.status === "completed");
    assert.equal(run()!.conclusion, "success", run()!.output.title ?? "");
    const writes = run()!.writes.length;

    // An unrelated file of the base's repository: its job finds no config use of it and evaluates nothing.
    assert.equal((await app.deliver("push", push(policies, ["README.md"]))).status, 200);
    gh.standIn.repo(OWNER, "policies")!.files["shared/gate.yml"] = CONFIG.replace("count: 1", "count: 2");
    assert.equal((await app.deliver("push", push(policies, ["shared/gate.yml"]))).status, 200);
    await until(() => run()?.conclusion === "failure");
    assert.match(run()!.output.title ?? "", /needs 2 human approvals/);
    assert.equal(gh.standIn.checkRuns.filter((r) => r.head_sha === c.sha).length, 1, "the same check run, updated");
    assert.equal(run()!.writes.length, writes + 2, "evaluated once again (in progress, completed): the README push evaluated nothing");
    assert.deepEqual(gh.problems, []);
  } finally {
    await app.close();
    await queue.stop(false);
    await recorder.close();
  }
});
