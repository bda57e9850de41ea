// How many of a pool's connections locks may take. An advisory lock holds its connection for as long as its holder
// works, and the holder needs further connections for its own statements. Were every connection a lock's (more
// workers than connections), every holder would wait for a connection only a holder can free: the pool's connect
// timeout, a failed attempt, a retry, over and over. So at most `size - POOL_RESERVE` locks are held or waited for at
// once, and the rest of the pool is always there for the holders' statements and everyone else's. One connection
// kept so is enough for every holder to go on (each runs one statement at a time); four keep them from queueing.

/** Connections of a pool (of at least 6) never taken by a lock; a smaller one keeps all but two, at least one. */
export const POOL_RESERVE = 4;
/** The most connections one process opens by default, whatever its workers (each held lock past it waits its turn). */
export const MAX_DEFAULT_POOL = 48;

/** The pool for `lockers` locks held at once (the workers that take one): each its connection, plus the reserve. */
export function poolSizeFor(lockers: number): number {
  return Math.min(MAX_DEFAULT_POOL, Math.max(12, Math.ceil(lockers) + POOL_RESERVE));
}

/** Counts locks in use against a pool; waiters are served in order. */
export class LockPermits {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  readonly size: number;

  constructor(poolSize: number) {
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError(`expected a pool of at least 1 connection, got ${poolSize}`);
    // A pool of one has none to keep: its lock holder can run no statement of its own (tests of the lock alone).
    this.size = poolSize === 1 ? 1 : poolSize - Math.min(POOL_RESERVE, Math.max(1, poolSize - 2));
    this.free = this.size;
  }

  /**
   * Resolves once a lock may take a connection; call the returned function, once, when it has given it back. Waits
   * at most `timeoutMs` (as long as the pool waits for a connection), then rejects with `timedOut()`: the job fails
   * and is retried, instead of holding its worker past its attempt's deadline.
   */
  async acquire(timeoutMs = Infinity, timedOut: () => Error = () => new Error("no lock permit came free in time")): Promise<() => void> {
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = Number.isFinite(timeoutMs)
          ? setTimeout(() => {
              const at = this.waiting.indexOf(wake);
              if (at >= 0) this.waiting.splice(at, 1);
              reject(timedOut());
            }, timeoutMs)
          : undefined;
        this.waiting.push(wake);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
