// Reconciliation catches a config push whose delivery never came: an open pull request whose completed check shows a
// verdict made under another config digest than the repository's now (or under none recorded) is evaluated again, as a
// changed input (a job already running read the old config and never stands in); one judged under today's is left.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256Hex } from "../../src/core/digest.js";
import { CONFIG_PATH } from "../../src/adapters/github/config-source.js";
import { reconcile } from "../../src/app/reconcile.js";

const TEXT = "version: 1\nrules:\n  human_approval:\n    count: 2\n";
const NOW = `sha256:${sha256Hex(TEXT)}`;
const HEADS = { fresh: "a".repeat(40), stale: "b".repeat(40), unknown: "c".repeat(40) };

function setup(recorded: Record<string, string | undefined>) {
  const queued: { head: string | undefined; why: string }[] = [];
  const file = { text: TEXT, source: `acme/widgets:${CONFIG_PATH} (default branch)`, repo: "widgets", path: CONFIG_PATH, digest: NOW };
  const github = {
    installationRepositoriesPage: () => Promise.resolve([{ owner: "acme", name: "widgets" }]),
    openPullsPage: () => Promise.resolve([{ number: 1, headSha: HEADS.fresh }, { number: 2, headSha: HEADS.stale }, { number: 3, headSha: HEADS.unknown }]),
    checkRuns: () => Promise.resolve([{ status: "completed", conclusion: "success", output: { title: "Passed" } }]),
    repoConfig: () => Promise.resolve(file),
    configFile: () => Promise.resolve(null),
  };
  const app = { hookDeliveriesPage: () => Promise.resolve({ rows: [], next: undefined }), redeliver: () => Promise.resolve(), installationsPage: () => Promise.resolve([77]) };
  const store = { knownDeliveries: () => Promise.resolve(new Set<string>()), deliveryCursor: () => Promise.resolve({ coveredTo: 0, coveredAt: undefined, pass: undefined }), saveDeliveryCursor: () => Promise.resolve() };
  const intake = { enqueueSweep: (t: { headSha?: string }, _id: string, why: string) => (queued.push({ head: t.headSha, why }), Promise.resolve(true)) };
  const run = (verdictConfig?: (repository: string, head: string) => Promise<string | undefined>) =>
    reconcile({ appAuth: () => Promise.resolve(app as never), auth: () => Promise.resolve(github as never), store, intake: intake as never, budget: 50, ...(verdictConfig ? { verdictConfig } : {}) }, "run-1");
  return { queued, run, verdictConfig: (_r: string, head: string) => Promise.resolve(recorded[head]) };
}

test("a settled check judged under another config (or none recorded) is evaluated again as a changed input", async () => {
  const s = setup({ [HEADS.fresh]: NOW, [HEADS.stale]: `sha256:${"1".repeat(64)}` });
  const report = await s.run(s.verdictConfig);
  assert.deepEqual(report.errors, []);
  assert.deepEqual(s.queued, [{ head: HEADS.stale, why: "inputs" }, { head: HEADS.unknown, why: "inputs" }]);
  assert.deepEqual(report.reEvaluated.map((r) => r.split("@")[0]), ["acme/widgets#2", "acme/widgets#3"]);
});

test("without the recorded digests every completed check is settled, as before", async () => {
  const s = setup({});
  await s.run();
  assert.deepEqual(s.queued, []);
});
