// One agent-gate check run per head commit when a process dies between GitHub's create and the store's write of the
// run's id. A fresh head (opened, synchronize, seen for the first time) is created without asking GitHub first; that
// is only sound if no other trigger for the same head can have created one and died before recording it. Two such
// triggers: a reconciliation sweep for a head whose delivery was dropped (the fault harness's duplicate: the sweep
// creates, is killed, then the dropped delivery arrives, fresh), and another event of the head (edited, a review)
// that ran first. The gate records its intent before creating, in the head's lock, so whoever comes next looks up.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openStorage, type Storage } from "../../src/adapters/storage/index.js";
import { MemoryGateStore, SqlGateStore, type GateStore } from "../../src/adapters/storage/gate-store.js";
import { GitHubConnector } from "../../src/adapters/github/octokit-github.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";
import type { HandleContext } from "../../src/app/gate-types.js";
import { validatedGitHub } from "../support/github.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

const { trustedRoot, scenarios } = loadScenarios();
const human = scenarios.find((s) => s.name === "human-pr")!;
const step = human.steps[0]!;
const headSha = step.expect.headSha;

/** The process dies (here: the write fails) right after GitHub created the run, before its id is stored. */
class KilledAfterCreate extends SqlGateStore {
  kills = 0;
  override async saveCheckRun(repository: string, sha: string, id: number): Promise<void> {
    if (this.kills > 0) {
      this.kills--;
      throw new Error("SIGKILL between GitHub's create and the store's write");
    }
    await super.saveCheckRun(repository, sha, id);
  }
}

const trigger = (event: string): Trigger => ({ kind: "pull_request", event, owner: "acme", repo: "widgets", installationId: 77, headSha, pullNumbers: [5] });
const sweep = trigger("reconcile");
const sweepCtx: HandleContext = { triggerId: "reconcile:sweep-1", redelivered: true };

type Backend = { name: string; open(t: TestContext): Promise<{ storage: Storage; close(): Promise<void> } | undefined> };
const BACKENDS: Backend[] = [
  {
    name: "PGlite",
    open: async () => {
      const storage = await openStorage({ dataDir: "memory://" });
      return { storage, close: () => storage.close() };
    },
  },
  {
    name: "PostgreSQL",
    open: async (t) => {
      const url = await requirePostgres(t);
      if (!url) return undefined;
      const schema = uniqueSchema("agt_intent");
      const storage = await openStorage({ databaseUrl: url, schema });
      return { storage, close: async () => (await storage.close(), await dropSchema(url, schema)) };
    },
  },
];

async function setup(store: GateStore) {
  const gh = validatedGitHub(structuredClone(human.repos));
  const gate = await composeGate({ trustedRoot, store });
  const api = new GitHubConnector().installation(new Octokit({ auth: "t", request: { fetch: gh.fetch } }));
  const runs = () => gh.standIn.checkRuns.filter((r) => r.head_sha === headSha && r.name === "agent-gate");
  const lookups = () => gh.standIn.requests.filter((r) => r.method === "GET" && r.path.includes("/check-runs")).length;
  const creates = () => gh.standIn.requests.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs")).length;
  return { gh, gate, api, runs, lookups, creates };
}

for (const backend of BACKENDS) {
  test(`${backend.name}: a sweep killed after creating the run, then the dropped delivery arrives fresh: one check run`, async (t) => {
    const opened = await backend.open(t);
    if (!opened) return;
    try {
      const store = new KilledAfterCreate(opened.storage.db);
      const { gate, api, runs, gh } = await setup(store);
      store.kills = 1;
      await assert.rejects(gate.handle(api, sweep, sweepCtx), /SIGKILL/);
      assert.equal(runs().length, 1, "the sweep's create reached GitHub");
      // The dropped `opened` is redelivered: a GUID never taken in, so a fresh head on its first attempt.
      const results = await gate.handle(api, trigger("pull_request.opened"), { deliveryId: "dropped-1", redelivered: false });
      assert.equal(results[0]!.outcome, "evaluated");
      assert.equal(runs().length, 1, "one check run per head commit");
      assert.equal(runs()[0]!.status, "completed");
      assert.equal(runs()[0]!.conclusion, step.expect.conclusion);
      // The sweep's retry (a lookup) finds the same run.
      const retried = await gate.handle(api, sweep, sweepCtx);
      assert.equal(retried[0]!.checkRunId, runs()[0]!.id);
      assert.equal(runs().length, 1);
      assert.deepEqual(gh.problems, []);
    } finally {
      await opened.close();
    }
  });

  // The first delivery is killed right after GitHub created its run; the second is a fresh delivery of the head.
  const killedThenFresh = [
    { what: "another event of the head killed after creating the run, then the head's opened", first: "pull_request.edited", second: "pull_request.opened" },
    // GitHub sent another fresh event for this commit (a second pull request opened with it as head).
    { what: "a fresh head killed after creating the run, then a second fresh delivery of the head", first: "pull_request.opened", second: "pull_request.synchronize" },
  ] as const;
  for (const { what, first, second } of killedThenFresh) {
    test(`${backend.name}: ${what}: one check run`, async (t) => {
      const opened = await backend.open(t);
      if (!opened) return;
      try {
        const store = new KilledAfterCreate(opened.storage.db);
        const { gate, api, runs } = await setup(store);
        store.kills = 1;
        await assert.rejects(gate.handle(api, trigger(first), { deliveryId: `${first}-1` }), /SIGKILL/);
        await gate.handle(api, trigger(second), { deliveryId: `${second}-1` });
        assert.equal(runs().length, 1, "one check run per head commit");
        assert.equal(runs()[0]!.status, "completed");
      } finally {
        await opened.close();
      }
    });
  }

  test(`${backend.name}: a fresh head that nothing killed asks GitHub for no check run: one create, no lookup`, async (t) => {
    const opened = await backend.open(t);
    if (!opened) return;
    try {
      const { gate, api, runs, lookups, creates } = await setup(new SqlGateStore(opened.storage.db));
      await gate.handle(api, trigger("pull_request.opened"), { deliveryId: "opened-1" });
      await gate.handle(api, trigger("pull_request.edited"), { deliveryId: "edited-1" });
      assert.deepEqual({ runs: runs().length, creates: creates(), lookups: lookups() }, { runs: 1, creates: 1, lookups: 0 });
    } finally {
      await opened.close();
    }
  });
}

test("in memory: a sweep that died after creating leaves an intent, and the fresh delivery looks the run up", async () => {
  const store = new MemoryGateStore();
  const { gate, api, runs } = await setup(store);
  const save = store.saveCheckRun.bind(store);
  let kills = 1;
  store.saveCheckRun = (repository, sha, id) => (kills-- > 0 ? Promise.reject(new Error("SIGKILL")) : save(repository, sha, id));
  await assert.rejects(gate.handle(api, sweep, sweepCtx), /SIGKILL/);
  await gate.handle(api, trigger("pull_request.opened"), { deliveryId: "dropped-1" });
  assert.equal(runs().length, 1);
  assert.equal((await store.checkRun("acme/widgets", headSha))?.id, runs()[0]!.id);
});
