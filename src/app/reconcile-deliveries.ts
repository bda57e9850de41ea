// Reconciliation's first step: failed deliveries in the App's delivery history (newest first, 100 a page) are
// redelivered as each page is read, so reading never uses up the budget that the failures found so far need. The
// history is read in passes, each from the newest delivery down to the deliveries a completed pass examined before
// (or to the start of the look-back); a pass the budget stops is saved where it stopped (the page's cursor and the
// last delivery examined) and the next run continues it before starting a new one. Delivery ids only grow, so what
// arrives during a pass is above its top and left to the next pass; the state is one row (gate-store.ts).
import type { DeliveryRow } from "../adapters/github/app-api.js";
import type { AppGitHub } from "../adapters/github/facts-port.js";
import type { DeliveryCursor, SqlGateStore } from "../adapters/storage/gate-store.js";
import { describeError } from "../core/errors.js";

export type DeliveryStore = Pick<SqlGateStore, "knownDeliveries" | "deliveryCursor" | "saveDeliveryCursor">;

/**
 * A pass stops at deliveries examined before only once they are this much older than the newest one it examined:
 * an attempt may show up in the history a little after a newer one (GitHub waits up to ten seconds for an answer).
 */
export const OVERLAP_MS = 60_000;

/** How far one run got in the delivery history (in the run's result and its log line). */
export interface DeliveryProgress {
  /** Pages of the history read by this run. */
  readonly pages: number;
  /** The run took up a pass an earlier run had stopped. */
  readonly resumed: boolean;
  /** Passes this run completed (each down to the deliveries examined before, or to the start of the look-back). */
  readonly passesCompleted: number;
  /** When the oldest delivery this run examined was delivered. */
  readonly reachedAt?: string;
  /** Every delivery up to this id has been examined. */
  readonly examinedThrough: number;
  /** A pass is unfinished: the next run continues it with the deliveries below this id. */
  readonly continuesBelow?: number;
}

/** A delivery worth sending again: no answer (status 0, a timeout), a failure on our side (5xx), 408 or 429. */
export function redeliverable(statusCode: number): boolean {
  if (statusCode >= 200 && statusCode < 300) return false;
  if (statusCode >= 400 && statusCode < 500) return statusCode === 408 || statusCode === 429;
  return true;
}

/** GitHub refused the request itself (a stale cursor, a delivery it will not send again): asking again will not help. */
const refused = (err: unknown): boolean => [400, 404, 410, 422].includes((err as { status?: unknown } | null)?.status as number);

interface Step {
  readonly app: AppGitHub;
  readonly store: DeliveryStore;
  /** Takes one request from the run's budget; false when none is left. */
  readonly take: () => boolean;
  /** Deliveries before this time (ms) are past the look-back. */
  readonly since: number;
  readonly redelivered: string[];
  readonly errors: string[];
}

export async function redeliverFailed(s: Step): Promise<{ seen: number; progress: DeliveryProgress }> {
  let saved: DeliveryCursor;
  try {
    saved = await s.store.deliveryCursor();
  } catch (err) {
    // Without its place the run would not know what it skips: the history waits for the next run.
    s.errors.push(`delivery history: reading how far the last run got: ${describeError(err)}`);
    return { seen: 0, progress: { pages: 0, resumed: false, passesCompleted: 0, examinedThrough: 0 } };
  }
  let coveredTo = saved.coveredTo;
  let coveredAt = saved.coveredAt;
  let pass: { top: number; topAt: string | undefined; below: number; cursor: string | undefined } | undefined = saved.pass && { ...saved.pass };
  const resumed = pass !== undefined;
  let freshStarted = false;
  let pages = 0;
  let seen = 0;
  let passesCompleted = 0;
  let reachedAt: string | undefined;
  // GUIDs with an attempt taken in (2xx) or refused for good seen in this run, or redelivered by it: newest first,
  // so a later attempt that settled a delivery is seen before the failed one.
  const settled = new Set<string>();
  const stopAt = (d: DeliveryRow): boolean => d.id <= coveredTo && (coveredAt === undefined || Date.parse(d.delivered_at) < Date.parse(coveredAt) - OVERLAP_MS);
  try {
    for (;;) {
      if (!pass) {
        if (freshStarted) break; // a pass started by this run completed: nothing newer is left
        freshStarted = true;
      }
      if (!s.take()) break;
      let page: { rows: DeliveryRow[]; next: string | undefined };
      try {
        page = await s.app.hookDeliveriesPage(pass?.cursor);
      } catch (err) {
        if (pass?.cursor === undefined || !refused(err)) {
          s.errors.push(`delivery history: ${describeError(err)}`);
          break;
        }
        // The saved place is not accepted any more: the pass starts again from the newest (what it examined is
        // examined again; a delivery taken in since is not redelivered).
        s.errors.push(`delivery history: the saved page was refused (${describeError(err)}); reading again from the newest`);
        pass = undefined;
        freshStarted = false;
        continue;
      }
      pages++;
      const rows = [...page.rows].sort((a, b) => b.id - a.id);
      if (!pass) {
        const top = rows[0];
        pass = { top: Math.max(top?.id ?? 0, coveredTo), topAt: top?.delivered_at, below: Number.MAX_SAFE_INTEGER, cursor: undefined };
      }
      const current = pass;
      const inRange = (d: DeliveryRow): boolean => d.id < current.below && !stopAt(d) && Date.parse(d.delivered_at) >= s.since;
      const known = await s.store.knownDeliveries([...new Set(rows.filter((d) => inRange(d) && redeliverable(d.status_code)).map((d) => d.guid))]);
      let done = rows.length === 0 || page.next === undefined;
      let stopped = false;
      for (const d of rows) {
        if (d.id >= current.below) continue; // examined before this pass stopped
        if (stopAt(d) || Date.parse(d.delivered_at) < s.since) {
          done = true;
          break;
        }
        if (!redeliverable(d.status_code)) settled.add(d.guid);
        else if (!settled.has(d.guid) && !known.has(d.guid)) {
          if (!s.take()) {
            stopped = true;
            break;
          }
          try {
            await s.app.redeliver(d.id);
            s.redelivered.push(d.guid);
            settled.add(d.guid);
          } catch (err) {
            if (!refused(err)) {
              // Kept where it is: the next run asks again.
              s.errors.push(`redeliver ${d.guid}: ${describeError(err)}; the next run asks again`);
              stopped = true;
              break;
            }
            s.errors.push(`redeliver ${d.guid}: ${describeError(err)}; GitHub refused it, not asked again`);
          }
        }
        seen++;
        reachedAt = d.delivered_at;
        current.below = d.id;
      }
      if (stopped) break;
      if (done) {
        if (current.top >= coveredTo) {
          coveredTo = current.top;
          coveredAt = current.topAt ?? coveredAt;
        }
        pass = undefined;
        passesCompleted++;
        continue;
      }
      current.cursor = page.next;
    }
  } catch (err) {
    s.errors.push(`delivery history: ${describeError(err)}`);
  } finally {
    const next: DeliveryCursor = { coveredTo, coveredAt, pass: pass && { ...pass } };
    if (JSON.stringify(next) !== JSON.stringify(saved)) {
      await s.store.saveDeliveryCursor(next).catch((err: unknown) => void s.errors.push(`delivery history: saving how far it got: ${describeError(err)}`));
    }
  }
  const progress: DeliveryProgress = { pages, resumed, passesCompleted, ...(reachedAt ? { reachedAt } : {}), examinedThrough: coveredTo, ...(pass ? { continuesBelow: pass.below } : {}) };
  return { seen, progress };
}
