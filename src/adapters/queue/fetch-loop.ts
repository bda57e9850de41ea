// One fetch loop per queue and process, in place of pg-boss's one polling loop per worker: a claim takes as many jobs
// as there are free slots (one statement, SKIP LOCKED, in the queue's order), and the loop claims again only when work
// may be waiting: the last claim filled every free slot (a backlog), a job was sent (wake), or the polling interval
// passed (jobs of other processes, retries whose delay ended). pg-boss's workers each polled on their own and each
// fetched again after every job, so an idle process issued one claim per worker per interval and a process at low
// load one empty claim per job; measured with 4 workers, 4.1 claims per event (24 statements per event in all).
// Behind a backlog a claim waits for `batch` free slots (at most `gatherMs`), so one claim takes several jobs: a claim
// costs about the same for one job or four (in the embedded database ~2.5 ms of the App's thread, mostly planning), and
// one slot freed at a time had made it one claim per event. Without a backlog a free slot claims at once (latency).
export interface FetchLoopOptions<J> {
  /** Jobs run at once. */
  readonly concurrency: number;
  /** The longest wait between two claims while a slot is free. */
  readonly pollingMs: number;
  /** Behind a backlog, the free slots a claim waits for (default 1: none); never more than `concurrency`. */
  readonly batch?: number;
  /** The longest a free slot waits for the others of its batch (default 100 ms). */
  readonly gatherMs?: number;
  /** Claims up to `n` jobs; an error is an empty claim (the next poll tries again). */
  claim(n: number): Promise<J[]>;
  /** Runs a claimed job to its end, its completion or failure written or left to expiry; never rejects. */
  run(job: J): Promise<void>;
}

export class FetchLoop<J> {
  private active = 0;
  private stopped = false;
  /** Work may have arrived since the last claim. */
  private woken = true;
  private nextPollAt = 0;
  private sleeping: (() => void) | undefined;
  /** Behind a backlog, free slots wait for their batch until this time (0: not waiting). */
  private gatherUntil = 0;
  private readonly done: Promise<void>;

  constructor(private readonly o: FetchLoopOptions<J>) {
    this.done = this.loop();
  }

  /** A job was sent (or a slot freed): claim at once if a slot is free. */
  wake(): void {
    this.woken = true;
    this.poke();
  }

  /** Jobs claimed and not yet finished. */
  get running(): number {
    return this.active;
  }

  /** Free slots wait for their batch: a claim follows within `gatherMs` unless the loop stops (it then claims no more). */
  get gathering(): boolean {
    return this.gatherUntil > 0 && !this.stopped;
  }

  /** Claims no more; resolves once a claim under way has handed its jobs over (they run on, see `run`). */
  stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    return this.done;
  }

  private poke(): void {
    const wake = this.sleeping;
    this.sleeping = undefined;
    wake?.();
  }

  private async loop(): Promise<void> {
    // The last claim filled every free slot: more may be waiting.
    let full = false;
    const batch = Math.max(1, Math.min(this.o.batch ?? 1, this.o.concurrency));
    while (!this.stopped) {
      const free = this.o.concurrency - this.active;
      const now = Date.now();
      if (free > 0 && now >= this.nextPollAt) this.woken = true;
      // Behind a backlog, a slot freed alone waits for the rest of its batch: a finishing job pokes, the timer ends it.
      if (free > 0 && full && free < batch && (this.gatherUntil === 0 || now < this.gatherUntil)) {
        if (this.gatherUntil === 0) this.gatherUntil = now + (this.o.gatherMs ?? 100);
        await this.sleep(this.gatherUntil - now);
        continue;
      }
      this.gatherUntil = 0;
      if (free > 0 && (this.woken || full)) {
        this.woken = false;
        this.nextPollAt = now + this.o.pollingMs;
        const jobs = await this.o.claim(free);
        full = jobs.length >= free;
        for (const job of jobs) {
          this.active++;
          const finished = (): void => {
            this.active--;
            this.poke();
          };
          void this.o.run(job).then(finished, finished);
        }
        continue;
      }
      // No free slot: a finishing job pokes. A free slot: the poll when the interval has passed, or a wake.
      await this.sleep(free > 0 ? this.nextPollAt - now : undefined);
    }
    this.gatherUntil = 0;
  }

  /** Until poked, or `ms` passed (none: until poked). */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, Math.max(0, ms));
      this.sleeping = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
