// Reconciliation's budget and the delivery history (app/reconcile-deliveries.ts): reading a history longer than
// the budget never leaves a failure found on the way without its redelivery, and a run the budget stops is
// continued by the next one where it stopped, so every failed delivery in the window is redelivered, once, while
// new deliveries keep arriving; how far a run got is in its result. The place is kept in the database (both kinds).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { DeliveryRow } from "../../src/adapters/github/app-api.js";
import { SqlGateStore, type DeliveryCursor } from "../../src/adapters/storage/gate-store.js";
import { reconcile } from "../../src/app/reconcile.js";
import type { DeliveryStore } from "../../src/app/reconcile-deliveries.js";
import { withMigratedDb } from "../adapters/storage/support.js";

const run = (app: object, store: DeliveryStore, budget: number, id: string) =>
  reconcile({ appAuth: () => Promise.resolve(app as never), auth: () => Promise.reject(new Error("unused")), store, intake: {} as never, budget }, id);

function memoryStore(known = new Set<string>()): DeliveryStore & { known: Set<string> } {
  let cursor: DeliveryCursor = { coveredTo: 0, coveredAt: undefined, pass: undefined };
  return {
    known,
    knownDeliveries: (ids) => Promise.resolve(new Set(ids.filter((g) => known.has(g)))),
    deliveryCursor: () => Promise.resolve(structuredClone(cursor)),
    saveDeliveryCursor: (c) => Promise.resolve(void (cursor = structuredClone(c))),
  };
}

test("a failed delivery on the first page is redelivered though the history is longer than the budget, and the next runs go on from where the last stopped", async () => {
  // The reviewer's scenario: an endless busy history (100 a page, one a second), the one failure the newest.
  const redelivered: number[] = [];
  const asked: (string | undefined)[][] = [];
  const now = Date.now();
  const page = (n: number) => Array.from({ length: 100 }, (_, i) => ({ id: 1_000_000 - n * 100 - i, guid: `g-${n}-${i}`, delivered_at: new Date(now - (n * 100 + i) * 1000).toISOString(), status_code: n === 0 && i === 0 ? 502 : 200, event: "pull_request_review", action: "dismissed" }));
  const app = {
    hookDeliveriesPage: (cursor: string | undefined) => {
      asked.at(-1)!.push(cursor);
      const n = cursor ? Number(cursor) : 0;
      return Promise.resolve({ rows: page(n), next: String(n + 1) });
    },
    redeliver: (id: number) => (redelivered.push(id), Promise.resolve()),
    installationsPage: () => Promise.resolve([]),
  };
  const store = memoryStore();
  const reports = [];
  for (let i = 0; i < 3; i++) {
    asked.push([]);
    reports.push(await run(app, store, 20, `run-${i}`));
  }
  assert.deepEqual(redelivered, [1_000_000], "the failed 'dismissed' delivery on page 1 is redelivered, once");
  assert.deepEqual(reports[0]!.redelivered, ["g-0-0"], "by the first run, within its budget");
  assert.equal(reports[0]!.requests, 20);
  assert.equal(reports[0]!.truncated, true);
  // Each run reads on from the page where the last stopped: no page is read twice.
  const pages = asked.flat().map((c) => c ?? "0");
  assert.equal(new Set(pages).size, pages.length, `pages read: ${pages.join(",")}`);
  assert.equal(asked[1]![0], String(asked[0]!.length), "the second run starts at the page after the first run's last");
  // How far each got is in its result.
  const h = reports.map((r) => r.deliveryHistory!);
  assert.deepEqual([h[0]!.resumed, h[1]!.resumed], [false, true]);
  assert.equal(h[2]!.continuesBelow, 1_000_000 - asked.flat().length * 100 + 1, "continues below the last delivery examined");
  assert.equal(h[2]!.passesCompleted, 0);
  assert.ok(h[2]!.reachedAt && Date.parse(h[2]!.reachedAt) < Date.parse(h[1]!.reachedAt!));
});

/** GitHub's delivery history: ids grow, newest first, 100 a page, cursors naming the first delivery of a page. */
class History {
  readonly rows: DeliveryRow[] = [];
  readonly redeliveries: string[] = [];
  private id = 5_000;
  constructor(private readonly takeIn: (guid: string) => Promise<void>) {}
  add(guid: string, status: number, at: number): void {
    this.rows.push({ id: this.id++, guid, delivered_at: new Date(at).toISOString(), status_code: status, event: "pull_request", action: "labeled" });
  }
  readonly app = {
    hookDeliveriesPage: (cursor: string | undefined) => {
      const newest = [...this.rows].reverse();
      const from = cursor === undefined ? 0 : newest.findIndex((r) => r.id <= Number(/^v1_(\d+)$/.exec(cursor)![1]));
      const rows = newest.slice(from, from + 100);
      const after = newest[from + 100];
      return Promise.resolve({ rows: structuredClone(rows), next: after ? `v1_${after.id}` : undefined });
    },
    redeliver: async (id: number) => {
      const d = this.rows.find((r) => r.id === id)!;
      this.redeliveries.push(d.guid);
      await this.takeIn(d.guid); // the App takes it in this time
      this.add(d.guid, 202, Date.now());
    },
    installationsPage: () => Promise.resolve([]),
  };
}

async function everyFailureOnce(store: DeliveryStore, takeIn: (guid: string) => Promise<void>): Promise<void> {
  const history = new History(takeIn);
  const now = Date.now();
  const failed = new Set<string>();
  // 1,200 deliveries over the last two days: failures of every kind, refusals, and failures settled since.
  for (let i = 0; i < 1200; i++) {
    const guid = `old-${i}`;
    const at = now - 4 * 3600_000 - (1200 - i) * 140_000;
    if (i % 40 === 7) {
      history.add(guid, [502, 0, 429, 408][i % 4]!, at);
      failed.add(guid);
    }
    else if (i % 40 === 13) history.add(guid, 400, at); // refused for good: never asked again
    else if (i % 40 === 21) {
      // settled by a later attempt
      history.add(guid, 500, at);
      history.add(`other-${i}`, 200, at);
      history.add(guid, 200, at + 1);
    }
    else history.add(guid, 200, at);
  }
  const reports = [];
  for (let r = 0; r < 60; r++) {
    // New deliveries keep arriving during the first runs (ten minutes apart), some failing.
    const at = now - (20 - r) * 600_000;
    if (r < 20) for (let i = 0; i < 40; i++) {
      const guid = `new-${r}-${i}`;
      history.add(guid, i % 20 === 3 ? 503 : 200, at + i * 1000);
      if (i % 20 === 3) failed.add(guid);
    }
    reports.push(await run(history.app, store, 6, `run-${r}`));
  }
  assert.deepEqual(reports.flatMap((r) => r.errors), []);
  assert.deepEqual([...history.redeliveries].sort(), [...failed].sort(), "every failed delivery in the window redelivered exactly once");
  const last = reports.at(-1)!.deliveryHistory!;
  assert.equal(last.continuesBelow, undefined, "the history is read to the end");
  assert.equal(last.examinedThrough, Math.max(...history.rows.map((r) => r.id)));
  assert.ok(reports.slice(0, 10).every((r) => r.truncated && r.requests === 6), "runs stopped by their budget");
}

test("over successive runs with a budget smaller than the history, every failed delivery is redelivered exactly once while new ones arrive", async () => {
  const store = memoryStore();
  await everyFailureOnce(store, (guid) => Promise.resolve(void store.known.add(guid)));
});

async function onDb(t: TestContext, kind: "embedded" | "postgres"): Promise<void> {
  await withMigratedDb(t, kind, async (db) => {
    const store = new SqlGateStore(db);
    assert.deepEqual(await store.deliveryCursor(), { coveredTo: 0, coveredAt: undefined, pass: undefined });
    const c: DeliveryCursor = { coveredTo: 9_000_000_000_123, coveredAt: "2026-01-02T03:04:05.000Z", pass: { top: 9_000_000_000_456, topAt: "2026-01-03T03:04:05.000Z", below: 9_000_000_000_400, cursor: "v1_9000000000399" } };
    await store.saveDeliveryCursor(c);
    assert.deepEqual(await new SqlGateStore(db).deliveryCursor(), c);
    // Each run takes its place from the database (a fresh store each run, as a restarted process has).
    const fresh = (): DeliveryStore => new SqlGateStore(db);
    await store.saveDeliveryCursor({ coveredTo: 0, coveredAt: undefined, pass: undefined });
    const perRun: DeliveryStore = { knownDeliveries: (ids) => fresh().knownDeliveries(ids), deliveryCursor: () => fresh().deliveryCursor(), saveDeliveryCursor: (x) => fresh().saveDeliveryCursor(x) };
    await everyFailureOnce(perRun, async (guid) => void (await store.takeDelivery(guid, "pull_request")));
  }, "reconcile");
}

test("the place in the delivery history is kept on PGlite", { timeout: 120_000 }, (t) => onDb(t, "embedded"));
test("the place in the delivery history is kept on PostgreSQL", { timeout: 60_000 }, (t) => onDb(t, "postgres"));
