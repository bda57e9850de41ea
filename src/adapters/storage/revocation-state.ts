// How far each owner's open pull requests were swept against its revocation list (migration 8: revocation_sweeps):
// the list's digest, and where a sweep cut short by its bounds stopped. Reconciliation sweeps again when the digest
// of the list on GitHub differs from the one remembered, so a push delivery that never arrived is caught.
import type { Db } from "./db.js";

export interface SweepState {
  readonly digest: string;
  /** The sweep went through the pull requests whose latest matching record is at or after this seq. */
  readonly cursor: number | undefined;
  readonly done: boolean;
}

export interface SweepStateStore {
  get(owner: string): Promise<SweepState | undefined>;
  put(owner: string, state: SweepState): Promise<void>;
}

export class SqlSweepState implements SweepStateStore {
  constructor(private readonly db: Db) {}

  async get(owner: string): Promise<SweepState | undefined> {
    const [r] = await this.db.query<{ digest: string; cursor: string | null; done: boolean }>("SELECT digest, cursor, done FROM revocation_sweeps WHERE owner = $1", [owner.toLowerCase()]);
    return r ? { digest: r.digest, cursor: r.cursor === null ? undefined : Number(r.cursor), done: r.done } : undefined;
  }

  async put(owner: string, state: SweepState): Promise<void> {
    await this.db.query(
      `INSERT INTO revocation_sweeps (owner, digest, cursor, done) VALUES ($1, $2, $3, $4)
       ON CONFLICT (owner) DO UPDATE SET digest = EXCLUDED.digest, cursor = EXCLUDED.cursor, done = EXCLUDED.done, swept_at = now()`,
      [owner.toLowerCase(), state.digest, state.cursor ?? null, state.done],
    );
  }
}

/** In one process's memory (tests). */
export class MemorySweepState implements SweepStateStore {
  private readonly states = new Map<string, SweepState>();
  get(owner: string): Promise<SweepState | undefined> {
    return Promise.resolve(this.states.get(owner.toLowerCase()));
  }
  put(owner: string, state: SweepState): Promise<void> {
    this.states.set(owner.toLowerCase(), state);
    return Promise.resolve();
  }
}
