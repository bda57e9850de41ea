// `npm run bench -- hostile`: one row per class of hostile input (issue 14): the input, its size, the time to answer
// or evaluate it, the peak RSS, and the outcome against its bound. Each class lives in bench/hostile/NN-*.ts and
// exports `rows(): Promise<HostileRow[]>`; this file runs them in order and prints one table.
import { readdirSync } from "node:fs";
import type { Row } from "./table.js";

export interface HostileRow {
  /** The class, as the issue numbers it ("1 unauthenticated bodies"). */
  readonly class: string;
  readonly input: string;
  readonly size: string;
  /** Seconds to answer or evaluate. */
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly outcome: string;
  /** The bound this row is held to, in words ("< 400 MB RSS"), and whether it held. */
  readonly bound: string;
  readonly met: boolean;
}

export async function benchHostile(): Promise<Row[]> {
  const dir = new URL("./hostile/", import.meta.url);
  const files = readdirSync(dir).filter((f) => /^\d\d-.*\.ts$/.test(f)).sort();
  const rows: Row[] = [];
  for (const f of files) {
    const mod = (await import(new URL(f, dir).href)) as { rows: () => Promise<HostileRow[]> };
    for (const r of await mod.rows()) {
      rows.push({ class: r.class, input: r.input, size: r.size, "time s": Number(r.seconds.toFixed(2)), "peak RSS MB": Math.round(r.peakRssMb), outcome: r.outcome, bound: r.bound, met: r.met ? "yes" : "NO" });
    }
  }
  return rows;
}
