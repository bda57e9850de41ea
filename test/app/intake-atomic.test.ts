// Intake is atomic (issue 14, class 5): a delivery's row and its job are written in one statement on either
// database, so a failure between them leaves neither (and reconciliation redelivers it); a signed delivery that
// can never be processed (nested 100,000 deep, or no trigger at all) is answered 422 with nothing stored, and
// reconciliation does not send it again.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { Probot, createNodeMiddleware } from "probot";
import { redactingLogger } from "../../src/observability/logging.js";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { openStorage, type Storage } from "../../src/adapters/storage/index.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import type { UnprocessableDelivery } from "../../src/app/intake.js";
import { EVALUATE_QUEUE, Intake } from "../../src/app/intake.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import type { Trigger } from "../../src/adapters/github/triggers.js";
import { redeliverable } from "../../src/app/reconcile.js";
import { unthrottled } from "../../src/demo/run.js";
import { dropSchema, requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

const { trustedRoot, scenarios } = loadScenarios();
const human = scenarios.find((s) => s.name === "human-pr")!;
const SECRET = "intake-atomic-secret";

interface Rig {
  storage: Storage;
  queue: JobQueue;
  store: SqlGateStore;
  jobSchema: string;
  close(): Promise<void>;
}

/** The gate's tables and its queue on one database. */
async function rig(t: TestContext, kind: "embedded" | "postgres"): Promise<Rig | undefined> {
  let url: string | undefined;
  let schema: string | undefined;
  if (kind === "postgres") {
    url = await requirePostgres(t);
    if (!url) return undefined;
    schema = uniqueSchema("intake");
  }
  const storage = await openStorage(url ? { databaseUrl: url, schema } : { dataDir: "memory://" });
  const jobSchema = `${storage.db.schema}_jobs`;
  const db = storage.db;
  const queue = await JobQueue.open(db, { schema: jobSchema });
  return {
    storage,
    queue,
    store: new SqlGateStore(db),
    jobSchema,
    close: async () => {
      await queue.stop(false);
      await storage.close();
      if (url && schema) {
        await dropSchema(url, schema);
        await dropSchema(url, jobSchema);
      }
    },
  };
}

async function persisted(r: Rig): Promise<{ deliveries: number; jobs: number }> {
  const [d] = await r.storage.db.query<{ n: number }>("SELECT count(*)::int AS n FROM intake_deliveries");
  const [j] = await r.storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${r.jobSchema}.job WHERE name = $1`, [EVALUATE_QUEUE]);
  return { deliveries: Number(d!.n), jobs: Number(j!.n) };
}

const trigger: Trigger = { kind: "pull_request", event: "pull_request.opened", owner: "acme", repo: "widgets", installationId: 77, headSha: "a".repeat(40), pullNumbers: [5] };

for (const kind of ["embedded", "postgres"] as const) {
  test(`${kind}: a failure between the delivery's row and its job leaves neither, and the delivery is taken in afresh`, { timeout: 120_000 }, async (t) => {
    // The job's insert fails in the database (a trigger refuses it), in the statement that writes the delivery's row.
    const r = await rig(t, kind);
    if (!r) return;
    await r.storage.db.executeSql(`CREATE FUNCTION ${r.jobSchema}.refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: the job could not be stored'; END $$;
      CREATE TRIGGER refuse_job BEFORE INSERT ON ${r.jobSchema}.job FOR EACH ROW EXECUTE FUNCTION ${r.jobSchema}.refuse_job();`);
    try {
      const intake = new Intake(r.queue, r.store);
      await assert.rejects(intake.acceptTrigger("delivery-1", trigger), /injected/);
      assert.deepEqual(await persisted(r), { deliveries: 0, jobs: 0 }, "neither the delivery nor its job");
      // GitHub (or reconciliation) sends it again: taken in as new, not as a redelivery of one we have.
      await r.storage.db.executeSql(`DROP TRIGGER refuse_job ON ${r.jobSchema}.job`);
      await intake.acceptTrigger("delivery-1", trigger);
      assert.deepEqual(await persisted(r), { deliveries: 1, jobs: 1 });
      const [job] = await r.storage.db.query<{ data: { redelivered: boolean } }>(`SELECT data FROM ${r.jobSchema}.job WHERE name = $1`, [EVALUATE_QUEUE]);
      assert.equal(job!.data.redelivered, false);
      // Sent once more after it was stored: a second job, marked as a redelivery of one we have.
      await intake.acceptTrigger("delivery-1", trigger);
      const jobs = await r.storage.db.query<{ data: { redelivered: boolean; deliveryId: string } }>(`SELECT data FROM ${r.jobSchema}.job WHERE name = $1 ORDER BY created_on, data->>'redelivered'`, [EVALUATE_QUEUE]);
      assert.deepEqual(jobs.map((j) => [j.data.deliveryId, j.data.redelivered]), [["delivery-1", false], ["delivery-1", true]]);
      assert.deepEqual(await persisted(r), { deliveries: 1, jobs: 2 });
    } finally {
      await r.close();
    }
  });

  test(`${kind}: a signed delivery with an array nested 100,000 deep in pull_request is answered 422 and nothing is stored`, { timeout: 120_000 }, async (t) => {
    const r = await rig(t, kind);
    if (!r) return;
    const refusals: UnprocessableDelivery[] = [];
    const intake = new Intake(r.queue, r.store, { rejected: (x) => refusals.push(x) });
    const lines: string[] = [];
    const app = await serve(intake, lines);
    try {
      const step = human.steps[0]!;
      // The payload as GitHub would send it, with one more field: 100,000 nested arrays (JSON.parse takes it).
      const text = JSON.stringify({ ...(step.payload), pull_request: { ...(step.payload as { pull_request: object }).pull_request, deep: "@DEEP@" } });
      const body = text.replace('"@DEEP@"', `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
      const res = await app.post("pull_request", "deep-1", body);
      assert.equal(res.status, 422, res.body);
      assert.match(res.body, /deep-1 \(pull_request\.opened\) can never be processed.*nests arrays or objects more than 64 deep/);
      assert.deepEqual(await persisted(r), { deliveries: 0, jobs: 0 });
      assert.equal(refusals.length, 1);
      assert.deepEqual([refusals[0]!.deliveryId, refusals[0]!.eventName], ["deep-1", "pull_request.opened"]);
      // No log line carries the payload (its nesting, or any of its fields), only the delivery's id and event.
      for (const line of lines) assert.doesNotMatch(line, /\[\[\[|"head"|"sha"/, line.slice(0, 200));

      // A payload that is no trigger (installation missing) is refused the same way.
      const { installation: _, ...noInstallation } = step.payload;
      const bad = await app.post("pull_request", "bad-1", JSON.stringify(noInstallation));
      assert.equal(bad.status, 422, bad.body);
      assert.match(bad.body, /bad-1 \(pull_request\) can never be processed, so it is refused: pull_request\.opened payload: installation/);
      assert.deepEqual(await persisted(r), { deliveries: 0, jobs: 0 });
    } finally {
      await app.close();
      await r.close();
    }
  });
}

test("reconciliation redelivers what failed on our side (no answer, 5xx, 408, 429), never a delivery refused with another 4xx", () => {
  for (const code of [0, 500, 502, 503, 408, 429]) assert.equal(redeliverable(code), true, String(code));
  for (const code of [200, 202, 400, 401, 403, 413, 415, 422]) assert.equal(redeliverable(code), false, String(code));
});

/** The App with durable intake behind Probot's webhook middleware; `post` sends a body as is, signed. */
async function serve(intake: Intake, lines: string[]): Promise<{ post(name: string, id: string, body: string): Promise<{ status: number; body: string }>; close(): Promise<void> }> {
  // The App's own logger (redacting), as the server runs it.
  const log = await redactingLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } }, {});
  const probot = new Probot({
    appId: 123456,
    privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    secret: SECRET,
    log,
    Octokit: unthrottled(),
  });
  const gate = await composeGate({ trustedRoot, store: intake.store });
  // Workers are not started (concurrency 0): this is about what intake stores.
  const middleware = await createNodeMiddleware(agentGateApp({ gate, durable: { intake, concurrency: 0, reconcileEverySeconds: 0, reconcileBudget: 0 } }), { probot, webhooksPath: "/hooks" });
  const server = createServer((req, res) => void Promise.resolve(middleware(req, res)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    post: async (name, id, body) => {
      const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
      const res = await fetch(base, { method: "POST", headers: { "content-type": "application/json", "x-github-event": name, "x-github-delivery": id, "x-hub-signature-256": signature }, body });
      return { status: res.status, body: await res.text() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
