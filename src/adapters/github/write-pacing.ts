// Pacing of an installation's writes (GitHub's secondary-limit guidance: about one content-creating request a
// second). A pacer reserves the next free slot of a key and says how long to wait for it; the slot is reserved at
// once, so concurrent writers queue up one interval apart without holding anything while they wait or run. A slot
// further away than the caller may wait is not reserved (the caller refuses the write at once), and a writer that
// will not send gives its slot back if no later slot was reserved after it (a release that is exact under concurrency).
// In this process (Map) or, when Probot has Redis, shared between processes: one atomic script per write on Redis's
// own clock. Pacing is advice, not integrity: a Redis that errs or is not connected paces in this process instead.
import { createHash } from "node:crypto";

/** A reserved write slot: the wait before it, and its release (a write that will not be sent gives its slot back). */
export interface Slot {
  readonly waitMs: number;
  /** Gives the slot back if it is still the key's last reserved one (exact under concurrency); at most once. */
  release(): void;
}

export interface Pacer {
  /**
   * Reserves the key's next slot if it starts within `maxWaitMs`, else reserves nothing and answers undefined: a
   * slot that the caller could not wait for is never booked.
   */
  reserve(key: string, intervalMs: number, maxWaitMs: number): Slot | undefined | Promise<Slot | undefined>;
}

/** Pacing in this process. */
export class LocalPacer implements Pacer {
  private readonly next = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  reserve(key: string, intervalMs: number, maxWaitMs: number): Slot | undefined {
    const now = this.now();
    const next = Math.max(now, this.next.get(key) ?? 0);
    if (next - now > maxWaitMs) return undefined;
    if (this.next.size >= 10_000) this.prune(now);
    const end = next + intervalMs;
    this.next.set(key, end);
    let released = false;
    return {
      waitMs: next - now,
      release: () => {
        // Only the last slot goes back (the next write may then take its time): an earlier one is held by the
        // writes booked after it, which wait for their own slots anyway.
        if (released) return;
        released = true;
        if (this.next.get(key) === end) this.next.set(key, next);
      },
    };
  }

  /** Slots reserved and not released or passed for `key`, counted in intervals from now (tests). */
  backlog(key: string, intervalMs: number): number {
    return Math.max(0, ((this.next.get(key) ?? 0) - this.now()) / intervalMs);
  }

  /** Keys whose slot has passed pace nothing; dropped so the map stays bounded by the installations writing now. */
  private prune(now: number): void {
    for (const [k, v] of this.next) if (v <= now) this.next.delete(k);
  }
}

/** The part of an ioredis client the shared pacer uses. */
export interface RedisLike {
  readonly status?: string;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

// next = max(now, stored); a next beyond the caller's longest wait (ARGV[2]) is refused and nothing is stored; else
// store next + interval (expiring when it no longer paces anything) and answer {1, wait, next + interval}.
// TIME is Redis's clock, the same for every process; milliseconds.
const RESERVE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nxt = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if nxt - now > tonumber(ARGV[2]) then return {0, nxt - now} end
redis.call('SET', KEYS[1], nxt + interval, 'PX', nxt - now + interval)
return {1, nxt - now, nxt + interval}
`;

// A slot given back: only while it is still the last one reserved (the stored end is its end, ARGV[1]), so a release
// never frees a slot that a later write holds; the key then ends at the slot's start (ARGV[2]) or, once passed, goes.
const RELEASE = `
if redis.replicate_commands then redis.replicate_commands() end
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = tonumber(ARGV[2])
if start <= now then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], start, 'PX', start - now) end
return 1
`;

/** SHA-1 of a script, for EVALSHA (a NOSCRIPT answer sends the script itself). */
const sha1 = (script: string): string => createHash("sha1").update(script).digest("hex");
const SCRIPTS = { reserve: { text: RESERVE, sha: sha1(RESERVE) }, release: { text: RELEASE, sha: sha1(RELEASE) } };

export interface SharedPacerOptions {
  /** Longest wait for Redis's answer before pacing locally; default 1000 ms. */
  readonly timeoutMs?: number;
  readonly warn: (message: string) => void;
  readonly fallback?: LocalPacer;
}

/** ioredis states of a connection that was lost or ended. */
const LOST = new Set(["reconnecting", "close", "end"]);

/** Pacing shared through Redis; the key names the interval, so a changed interval applies at once. */
export class SharedPacer implements Pacer {
  private failing = false;
  private readonly fallback: LocalPacer;

  constructor(
    private readonly redis: RedisLike,
    private readonly options: SharedPacerOptions,
  ) {
    this.fallback = options.fallback ?? new LocalPacer();
  }

  async reserve(key: string, intervalMs: number, maxWaitMs: number): Promise<Slot | undefined> {
    // ioredis queues commands while it reconnects (for many seconds): a Redis that was lost is not asked. A first
    // connection is waited for (a process's first writes), within the timeout.
    if (this.lost()) return this.local(key, intervalMs, maxWaitMs, `Redis is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const asked = this.run("reserve", key, intervalMs, Math.max(-1, Math.floor(maxWaitMs)));
    try {
      const answer = await Promise.race([
        asked,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs ?? 1000} ms`)), this.options.timeoutMs ?? 1000);
        }),
      ]);
      const slot = this.slotOf(key, intervalMs, answer);
      if (this.failing) {
        this.failing = false;
        this.options.warn("write pacing is shared through Redis again");
      }
      return slot;
    } catch (err) {
      // A slot Redis reserves after the timeout is given back when its answer comes (this write paces locally).
      asked.then((late) => this.slotOf(key, intervalMs, late)?.release()).catch(() => undefined);
      return this.local(key, intervalMs, maxWaitMs, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The script's answer: a reserved slot, or undefined when refused; anything else is an error. */
  private slotOf(key: string, intervalMs: number, answer: unknown): Slot | undefined {
    const [booked, wait, end] = Array.isArray(answer) ? (answer as unknown[]).map(Number) : [];
    if (!Number.isFinite(wait) || wait! < 0 || (booked !== 0 && (booked !== 1 || !Number.isFinite(end)))) {
      throw new Error(`expected {booked, wait, end} from the pacing script, got ${JSON.stringify(answer)}`);
    }
    if (booked === 0) return undefined;
    let released = false;
    return {
      waitMs: wait!,
      release: () => {
        // Fire and forget: pacing is advice, and a release that does not happen only leaves a gap of one interval.
        if (released || this.lost()) return;
        released = true;
        this.run("release", key, end!, end! - intervalMs).catch(() => undefined);
      },
    };
  }

  private lost(): boolean {
    return this.redis.status !== undefined && LOST.has(this.redis.status);
  }

  private async run(script: keyof typeof SCRIPTS, key: string, ...args: number[]): Promise<unknown> {
    const { text, sha } = SCRIPTS[script];
    try {
      return await this.redis.evalsha(sha, 1, key, ...args);
    } catch (err) {
      if (!/NOSCRIPT/.test(err instanceof Error ? err.message : String(err))) throw err;
      return this.redis.eval(text, 1, key, ...args);
    }
  }

  private local(key: string, intervalMs: number, maxWaitMs: number, why: string): Slot | undefined {
    if (!this.failing) {
      this.failing = true;
      this.options.warn(`write pacing could not use Redis (${why}); writes are paced in this process until it answers`);
    }
    return this.fallback.reserve(key, intervalMs, maxWaitMs);
  }
}
