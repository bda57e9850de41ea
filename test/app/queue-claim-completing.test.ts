// A busy queue completes each finished job in its next claim (adapters/queue/along.ts: claimCompleting), one statement
// where there were two; an idle one completes it in a statement of its own. Either way every job ends completed, a
// claim that fails takes no completion with it (they are written alone), and a pg-boss whose claim is shaped otherwise
// is refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { openDatabase, type Db } from "../../src/adapters/storage/db.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import { withCompletions } from "../../src/adapters/queue/along.js";
import { requirePostgres, uniqueSchema } from "../adapters/storage/support.js";

/** `db` with every statement the queue sends recorded, and the ones `fail` picks refused. */
function recording(db: Db, fail: (text: string) => boolean = () => false): { db: Db; texts: string[] } {
  const texts: string[] = [];
  const executeSql: Db["executeSql"] = (text, values) => {
    texts.push(text.trim());
    return fail(text) ? Promise.reject(new Error("the claim statement failed (test)")) : db.executeSql(text, values);
  };
  return { db: Object.assign(Object.create(db) as Db, { executeSql }), texts };
}

async function runJobs(db: Db, schema: string, opts: { fail?: (text: string) => boolean } = {}): Promise<{ states: string[]; texts: string[]; errors: unknown[] }> {
  const rec = recording(db, opts.fail);
  const errors: unknown[] = [];
  const queue = await JobQueue.open(rec.db, { schema, pollingIntervalSeconds: 0.5, onError: (e) => errors.push(e) });
  const ids: string[] = [];
  try {
    let handled = 0;
    let allDone!: () => void;
    const done = new Promise<void>((r) => (allDone = r));
    for (let n = 0; n < 12; n++) ids.push((await queue.send("evaluate", { n }))!);
    await queue.work<{ n: number }>("evaluate", 2, async () => {
      await new Promise((r) => setTimeout(r, 2));
      if (++handled === 12) allDone();
    });
    await done;
  } finally {
    await queue.stop();
  }
  const rows = await db.query<{ id: string; state: string }>(`SELECT id, state::text AS state FROM ${schema}.job WHERE name = 'evaluate'`);
  const state = new Map(rows.map((r) => [r.id, r.state]));
  return { states: ids.map((id) => state.get(id) ?? "missing"), texts: rec.texts, errors };
}

const claimsCompleting = (texts: string[]): number => texts.filter((t) => t.startsWith("WITH done AS (UPDATE")).length;
const completesAlone = (texts: string[]): number => texts.filter((t) => /^WITH results AS \(\s*UPDATE \S+\.job\s+SET completed_on/.test(t)).length;

for (const database of ["embedded", "postgres"] as const) {
  test(`${database}: a busy queue completes finished jobs in its claims; every job ends completed`, { timeout: 60_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_claim");
    const db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    try {
      const { states, texts, errors } = await runJobs(db, `${schema}_jobs`);
      assert.deepEqual(states, Array<string>(12).fill("completed"));
      assert.deepEqual(errors, []);
      // Two workers, twelve jobs waiting: most completions ride on the next claim, the last ones go alone.
      assert.ok(claimsCompleting(texts) >= 1, "expected at least one claim that completes");
      assert.ok(completesAlone(texts) < 12, `expected fewer statements of their own than jobs, saw ${completesAlone(texts)}`);
    } finally {
      await db.close();
    }
  });

  test(`${database}: a claim that fails completes nothing, and its completions are written alone`, { timeout: 60_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_claimf");
    const db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    try {
      let refused = 0;
      const { states, texts, errors } = await runJobs(db, `${schema}_jobs`, { fail: (text) => text.trim().startsWith("WITH done AS") && refused++ < 3 });
      assert.deepEqual(states, Array<string>(12).fill("completed"));
      assert.ok(refused >= 1, "expected a claim that completes, to refuse");
      assert.equal(errors.length, Math.min(3, refused), "each refused claim is reported");
      assert.ok(completesAlone(texts) >= 1);
    } finally {
      await db.close();
    }
  });
}

test("pg-boss's claim is spliced as it is shaped, and any other shape is refused naming pg-boss", () => {
  const plans = createRequire(import.meta.url)("pg-boss/src/plans.js") as { fetchNextJob(schema: string): (o: { includeMetadata: boolean }) => string };
  const claim = plans.fetchNextJob("q")({ includeMetadata: true });
  const [text, values] = withCompletions(claim, ["evaluate", 2], "q", ["00000000-0000-0000-0000-000000000001"]);
  assert.match(text, /^WITH done AS \(UPDATE q\.job SET completed_on = now\(\), state = 'completed', output = NULL WHERE name = \$1 AND id IN \(SELECT UNNEST\(\$3::uuid\[\]\)\) AND state = 'active'\), next as \(/);
  assert.deepEqual(values, ["evaluate", 2, ["00000000-0000-0000-0000-000000000001"]]);
  assert.throws(() => withCompletions("SELECT 1", [], "q", ["x"]), /expected pg-boss's claim to begin with "WITH next as \(" once; this version of pg-boss differs, so no job was claimed or completed/);
});

for (const database of ["embedded", "postgres"] as const) {
  test(`${database}: behind a backlog a claim takes several jobs, and a completion kept for it lands, also when the queue stops first`, { timeout: 60_000 }, async (t) => {
    const url = database === "postgres" ? await requirePostgres(t) : undefined;
    if (database === "postgres" && !url) return;
    const schema = uniqueSchema("agt_claimb");
    const db = await openDatabase(url ? { databaseUrl: url, schema } : { dataDir: "memory://", schema });
    const rec = recording(db);
    const errors: unknown[] = [];
    // A gathering that outlasts the test: only finished jobs end it, or the stop.
    const queue = await JobQueue.open(rec.db, { schema: `${schema}_jobs`, pollingIntervalSeconds: 60, claimGatherMs: 60_000, onError: (e) => errors.push(e) });
    const ids: string[] = [];
    try {
      for (let n = 0; n < 12; n++) ids.push((await queue.send("evaluate", { n }))!);
      const release = new Map<number, () => void>();
      const started: number[] = [];
      await queue.work<{ n: number }>("evaluate", 4, ({ data }) => {
        started.push(data.n);
        return new Promise<void>((r) => release.set(data.n, r));
      });
      const claims = (): string[] => rec.texts.filter((t) => /^WITH (done AS|next as)/.test(t));
      while (started.length < 4) await new Promise((r) => setTimeout(r, 5));
      // Two of four workers free: one claim for both (with the two finished jobs' completions).
      release.get(started[0]!)!();
      release.get(started[1]!)!();
      while (started.length < 6) await new Promise((r) => setTimeout(r, 5));
      assert.equal(claims().length, 2, "expected the second claim to take two jobs at once");
      // One worker free behind the backlog: it waits for a second, and its job's completion waits with it.
      release.get(started[2]!)!();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(claims().length, 2, "expected no claim for a single free worker behind a backlog");
      assert.equal(completesAlone(rec.texts), 0, "expected the completion kept for the coming claim");
      const stopped = queue.stop();
      for (const n of started.slice(3)) release.get(n)!();
      await stopped;
    } finally {
      await queue.stop();
    }
    try {
      const rows = await db.query<{ id: string; state: string }>(`SELECT id, state::text AS state FROM ${schema}_jobs.job WHERE name = 'evaluate'`);
      const state = new Map(rows.map((r) => [r.id, r.state]));
      const finished = ids.filter((id) => state.get(id) === "completed").length;
      assert.equal(finished, 6, "expected every finished job completed: the six that ran, the one kept for a claim included");
      assert.deepEqual(errors, []);
    } finally {
      await db.close();
    }
  });
}
