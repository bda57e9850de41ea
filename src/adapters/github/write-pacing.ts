// Pacing of an installation's writes (GitHub's secondary-limit guidance: about one content-creating request a
// second). A pacer reserves the next free slot of a key and says how long to wait for it; the slot is reserved at
// once, so concurrent writers queue up one interval apart without holding anything while they wait or run.
// In this process (Map) or, when Probot has Redis, shared between processes: one atomic script per write on Redis's
// own clock. Pacing is advice, not integrity: a Redis that errs or is not connected paces in this process instead.
import { createHash } from "node:crypto";

export interface Pacer {
  /** Milliseconds to wait before the write may start; the slot is reserved. */
  reserve(key: string, intervalMs: number): number | Promise<number>;
}

/** Pacing in this process. */
export class LocalPacer implements Pacer {
  private readonly next = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  reserve(key: string, intervalMs: number): number {
    const now = this.now();
    const next = Math.max(now, this.next.get(key) ?? 0);
    if (this.next.size >= 10_000) this.prune(now);
    this.next.set(key, next + intervalMs);
    return next - now;
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

// next = max(now, stored); store next + interval (expiring when it no longer paces anything); wait next - now.
// TIME is Redis's clock, the same for every process; milliseconds.
const RESERVE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nxt = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], nxt + interval, 'PX', nxt - now + interval)
return nxt - now
`;

/** SHA-1 of RESERVE, for EVALSHA (a NOSCRIPT answer sends the script itself). */
const RESERVE_SHA = createHash("sha1").update(RESERVE).digest("hex");

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

  async reserve(key: string, intervalMs: number): Promise<number> {
    // ioredis queues commands while it reconnects (for many seconds): a Redis that was lost is not asked. A first
    // connection is waited for (a process's first writes), within the timeout.
    if (this.redis.status !== undefined && LOST.has(this.redis.status)) return this.local(key, intervalMs, `Redis is ${this.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.ask(key, intervalMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs ?? 1000} ms`)), this.options.timeoutMs ?? 1000);
        }),
      ]);
      const wait = Number(answer);
      if (!Number.isFinite(wait) || wait < 0) throw new Error(`expected a wait in milliseconds from the pacing script, got ${String(answer)}`);
      if (this.failing) {
        this.failing = false;
        this.options.warn("write pacing is shared through Redis again");
      }
      return wait;
    } catch (err) {
      return this.local(key, intervalMs, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private async ask(key: string, intervalMs: number): Promise<unknown> {
    try {
      return await this.redis.evalsha(RESERVE_SHA, 1, key, intervalMs);
    } catch (err) {
      if (!/NOSCRIPT/.test(err instanceof Error ? err.message : String(err))) throw err;
      return this.redis.eval(RESERVE, 1, key, intervalMs);
    }
  }

  private local(key: string, intervalMs: number, why: string): number {
    if (!this.failing) {
      this.failing = true;
      this.options.warn(`write pacing could not use Redis (${why}); writes are paced in this process until it answers`);
    }
    return this.fallback.reserve(key, intervalMs);
  }
}
