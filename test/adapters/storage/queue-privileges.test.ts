// docs/operations.md's grants for the App's role, on this machine's PostgreSQL: with them (and the audit grants of
// docs/audit.md) the App takes deliveries, runs jobs and records evaluations without owning anything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { SqlGateStore } from "../../../src/adapters/storage/gate-store.js";
import { JobQueue } from "../../../src/adapters/queue/job-queue.js";
import { dropSchema, requirePostgres, uniqueSchema } from "./support.js";

function sqlBlock(file: string, startsWith: RegExp): string {
  const doc = readFileSync(file, "utf8");
  const block = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => startsWith.test(b));
  assert.ok(block, `${file} has the SQL block`);
  return block;
}

test("the App's role from the docs runs the queue and records evaluations, owning nothing", { timeout: 60_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agtq");
  const jobs = `${schema}_jobs`;
  const role = `agt_app_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  // The owner migrates and starts the queue once (pg-boss creates its schema), as the docs say.
  const ownerDb = await openPostgres(url, schema);
  const owner = await SqlAuditLog.open(ownerDb);
  const ownerQueue = await JobQueue.open(ownerDb, { schema: jobs });
  await ownerQueue.send("evaluate", { warm: true });
  await ownerQueue.stop(false);
  let appDb: Awaited<ReturnType<typeof openPostgres>> | undefined;
  let queue: JobQueue | undefined;
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    const subst = (sql: string): string => sql.replace(/^CREATE ROLE.*$/m, "").replace(/agent_gate_app/g, role).replace(/agent_gate_jobs/g, jobs).replace(/agent_gate\./g, `${schema}.`).replace(/SCHEMA agent_gate /g, `SCHEMA ${schema} `);
    await admin.query(subst(sqlBlock("docs/audit.md", /^CREATE ROLE agent_gate_app/)));
    await admin.query(subst(sqlBlock("docs/operations.md", /^GRANT SELECT, INSERT, UPDATE, DELETE ON agent_gate\.intake_deliveries/)));
    const appUrl = new URL(url);
    appUrl.username = role;
    appDb = await openPostgres(appUrl.toString(), schema);
    const store = new SqlGateStore(appDb);
    assert.equal(await store.takeDelivery("d-1", "pull_request.opened"), true);
    assert.equal(await store.takeDelivery("d-1", "pull_request.opened"), false);
    await store.saveDeliveryCursor({ coveredTo: 5, coveredAt: undefined, pass: undefined }); // reconciliation's place in the history
    assert.equal((await store.deliveryCursor()).coveredTo, 5);
    await store.saveCheckRun("acme/web", "a".repeat(40), 7);
    await store.recordEvaluation({ key: "b".repeat(64), trigger: "d-1", repository: "acme/web", headSha: "a".repeat(40), decisionId: "x", conclusion: "success", transient: false, triggerAt: new Date() });
    assert.ok((await store.checkRun("acme/web", "a".repeat(40)))?.lastTriggerAt);
    // Pruning past the retention (after each reconciliation run) deletes with the same grants.
    assert.deepEqual(await store.prune(new Date(Date.now() - 86_400_000)), { deliveries: 0, evaluations: 0, checkRuns: 0 });
    assert.deepEqual(await store.prune(new Date(Date.now() + 86_400_000)), { deliveries: 1, evaluations: 1, checkRuns: 1 });
    queue = await JobQueue.open(appDb, { schema: jobs, pollingIntervalSeconds: 0.5 });
    let release!: (createdOn: Date) => void;
    const ran = new Promise<Date>((r) => (release = r));
    await queue.work<{ n?: number }>("evaluate", 1, (job) => {
      if (job.data.n === 1) release(job.createdOn); // not the warm-up job the owner sent
      return Promise.resolve();
    });
    const [{ now: before }] = (await appDb.query<{ now: Date }>("SELECT now()")) as [{ now: Date }];
    assert.ok(await queue.send("evaluate", { n: 1 }));
    const createdOn = await ran;
    // the job's time is PostgreSQL's clock (one clock for every App process), not the sender's
    assert.ok(createdOn instanceof Date && createdOn >= new Date(before), `createdOn ${String(createdOn)} vs the database's now() ${String(before)}`);
    await assert.rejects(appDb.query(`DROP TABLE ${schema}.gate_evaluations`), /must be owner/);
  } finally {
    await queue?.stop(true);
    await appDb?.close();
    await owner.close();
    await dropSchema(url, schema);
    await admin.query(`DROP SCHEMA IF EXISTS ${jobs} CASCADE`);
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});
