// The PR gate when its per-head lock is lost mid-evaluation (the lock's PostgreSQL session ended: a server restart,
// a network cut, a terminated backend; not a kill of the App): the holder stops before any further write to GitHub,
// the audit log or the gate's state, and throws a transient error, so the job runs again, under a fresh lock, with a
// lookup. The retry ends with one check run, completed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openStorage } from "../../src/adapters/storage/index.js";
import { SqlGateStore, type StoredEvaluation } from "../../src/adapters/storage/gate-store.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";
import type { Db } from "../../src/adapters/storage/db.js";
import { validatedGitHub } from "../support/github.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";
import { aborted, terminateLockHolder } from "../adapters/storage/lock-support.js";

const { trustedRoot, scenarios } = loadScenarios();
const human = scenarios.find((s) => s.name === "human-pr")!;
const step = human.steps[0]!;
const headSha = step.expect.headSha;
const trigger: Trigger = { kind: "pull_request", event: "pull_request.edited", owner: "acme", repo: "widgets", installationId: 77, headSha, pullNumbers: [5] };

/** Loses the head's lock once, right after the check run's id was stored (the run exists on GitHub, in progress). */
class LosesLockAfterCreate extends SqlGateStore {
  armed = true;
  lostAt: number | undefined;
  evaluationsRecorded = 0;
  private held: AbortSignal | undefined;
  constructor(
    private readonly database: Db,
    private readonly url: string,
    private readonly mark: () => number,
  ) {
    super(database);
  }
  override withHead<T>(repository: string, sha: string, fn: (held: AbortSignal) => Promise<T>): Promise<T> {
    return super.withHead(repository, sha, (held) => ((this.held = held), fn(held)));
  }
  override async saveCheckRun(repository: string, sha: string, id: number): Promise<void> {
    await super.saveCheckRun(repository, sha, id);
    if (!this.armed) return;
    this.armed = false;
    await terminateLockHolder(this.url, `agent-gate head ${this.database.schema} ${repository.toLowerCase()}@${sha}`);
    await aborted(this.held!);
    this.lostAt = this.mark();
  }
  override async recordEvaluation(e: StoredEvaluation & { triggerAt: Date }): Promise<void> {
    this.evaluationsRecorded++;
    await super.recordEvaluation(e);
  }
}

test("PostgreSQL: a gate whose head lock is lost writes nothing more; the retried job ends with one check run", async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agt_lostlock");
  const storage = await openStorage({ databaseUrl: url, schema });
  try {
    const gh = validatedGitHub(structuredClone(human.repos));
    const store = new LosesLockAfterCreate(storage.db, url, () => gh.standIn.requests.length);
    let decisions = 0;
    const gate = await composeGate({ trustedRoot, store, onDecision: () => Promise.resolve(void decisions++) });
    const api = new GitHubConnector({ appId: 1 }).installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
    const runs = () => gh.standIn.checkRuns.filter((r) => r.head_sha === headSha && r.name === "agent-gate");

    await assert.rejects(gate.handle(api, trigger, { deliveryId: "edited-1" }), { code: "STORAGE_UNAVAILABLE", kind: "transient", message: /lost the lock/ });
    assert.ok(store.lostAt !== undefined, "the lock was lost after the run was created");
    assert.deepEqual(gh.standIn.requests.slice(store.lostAt).filter((r) => r.write), [], "no GitHub write after the lock was lost");
    assert.equal(decisions, 0, "no audit record");
    assert.equal(store.evaluationsRecorded, 0, "no gate state written");
    assert.equal(runs().length, 1);
    assert.equal(runs()[0]!.status, "in_progress");

    // The job's retry (intake: redelivered once retryCount > 0), under a fresh lock.
    const results = await gate.handle(api, trigger, { deliveryId: "edited-1", redelivered: true });
    assert.equal(results[0]!.outcome, "evaluated");
    assert.equal(runs().length, 1, "one check run per head commit");
    assert.equal(runs()[0]!.status, "completed");
    assert.equal(runs()[0]!.conclusion, step.expect.conclusion);
    assert.equal(results[0]!.checkRunId, runs()[0]!.id);
    assert.equal(decisions, 1);
    assert.deepEqual(gh.problems, []);
  } finally {
    await storage.close();
    await dropSchema(url, schema);
  }
});
