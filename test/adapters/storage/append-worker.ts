// A separate App process for the concurrency test: opens the PostgreSQL audit log, prints "ready", waits for
// "go" on stdin (so all workers start together), appends N decisions and prints the seqs it was given.
// Run: node --import tsx append-worker.ts URL SCHEMA WORKER N
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { sampleEvent } from "./events.js";

const [url, schema, worker, n] = process.argv.slice(2);
if (!url || !schema || !worker || !n) throw new Error("usage: append-worker.ts URL SCHEMA WORKER N");
const log = await SqlAuditLog.open(await openPostgres(url, schema, 2));
console.log("ready");
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
const seqs: number[] = [];
try {
  for (let i = 0; i < Number(n); i++) {
    const id = Number(worker) * 100_000 + i;
    seqs.push((await log.append(sampleEvent(id, { decision_id: `w${worker}-${i}` }))).seq);
  }
} finally {
  await log.close();
}
console.log(JSON.stringify({ worker: Number(worker), seqs }));
