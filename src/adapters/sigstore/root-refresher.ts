// Keeps the TUF-refreshed trusted root fresh while the App runs: a refresh on a schedule (sooner after a failure),
// every failure logged with its cause and counted, the verifier swapped in place on success (no restart), and a
// readiness check that fails once the last good root is older than the allowed age.
import { describeWithCauses, fetchAndKeep, refreshTrustedRoot, type LoadedRoot, type RefreshOptions, type RootSource } from "./trusted-root.js";
import { createVerifier, type CachingBundleVerifier, type CommitSignatureRequest, type VerifierCacheStats, type VerifierOptions, type VerifierWorkStats, type VerifyAnyRequest, type VerifyRequest } from "./verifier.js";
import type { VerificationOutcome } from "../../core/verification.js";
import type { CommitVerification } from "./gitsign.js";

/** Timers the refresher schedules with; tests pass their own to fire refreshes by hand. */
export interface RefreshTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: RefreshTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(), // never keeps the process alive by itself
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RefreshLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface TrustRootRefresherOptions extends RefreshOptions {
  /** Between successful refreshes. */
  readonly intervalMs: number;
  /** Past this age of the last good root, the readiness check fails. */
  readonly maxAgeMs: number;
  /** The first retry after a failure; doubled at each further failure, up to intervalMs. Default min(intervalMs, 5 min). */
  readonly retryMs?: number;
  readonly timers?: RefreshTimers;
  readonly log?: RefreshLog;
  /** Called at each failed refresh with its cause (a metric counts them). */
  readonly onFailure?: (cause: string) => void;
  /** Thresholds and caches of every verifier built from a refreshed root. */
  readonly verifierOptions?: Omit<VerifierOptions, "trustedRoot">;
}

export interface RefreshStatus {
  readonly source: RootSource;
  /** When the root in use was fetched through TUF; for the pinned fallback, when the refresher started. */
  readonly goodSince: number;
  readonly ageMs: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
}

/** A verifier whose trust material can be replaced while gates hold it: each call goes to the current verifier. */
export class SwappableVerifier implements CachingBundleVerifier {
  constructor(private current: CachingBundleVerifier) {}
  replace(next: CachingBundleVerifier): void {
    this.current = next; // the old verifier's verdict cache goes with it: verdicts under the old root are not reused
  }
  verify(req: VerifyRequest): VerificationOutcome {
    return this.current.verify(req);
  }
  verifyAny(req: VerifyAnyRequest): VerificationOutcome {
    return this.current.verifyAny(req);
  }
  verifyCommit(req: CommitSignatureRequest): CommitVerification {
    return this.current.verifyCommit?.(req) ?? { ok: false, code: "CERTIFICATE_CHAIN_INVALID", message: "this verifier cannot verify commit signatures" };
  }
  cacheStats(): VerifierCacheStats {
    return this.current.cacheStats();
  }
  workStats(): VerifierWorkStats {
    return this.current.workStats();
  }
}

const hours = (ms: number): string => `${(ms / 3_600_000).toFixed(1)} h`;

export class TrustRootRefresher {
  readonly verifier: SwappableVerifier;
  private loaded: LoadedRoot;
  private goodSince: number;
  private failures = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;
  private timer: unknown;
  private inFlight: Promise<boolean> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly timers: RefreshTimers;

  private constructor(
    private readonly opts: TrustRootRefresherOptions,
    initial: LoadedRoot,
  ) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.loaded = initial;
    this.goodSince = initial.fetchedAt ?? this.now();
    this.verifier = new SwappableVerifier(createVerifier({ ...opts.verifierOptions, trustedRoot: initial.root }));
  }

  /**
   * Refreshes once (falling back to the last good root on disk, then the pinned root), then schedules the next
   * refresh. A failed first refresh is logged and counted like any other.
   */
  static async start(opts: TrustRootRefresherOptions): Promise<TrustRootRefresher> {
    const initial = await refreshTrustedRoot(opts, (root) => createVerifier({ ...opts.verifierOptions, trustedRoot: root }));
    const r = new TrustRootRefresher(opts, initial);
    if (initial.source === "tuf") r.opts.log?.info({ source: "tuf" }, "trusted root fetched through TUF");
    else r.failed(initial.warning ?? "TUF refresh failed", initial.source);
    r.schedule();
    return r;
  }

  get root(): unknown {
    return this.loaded.root;
  }

  status(): RefreshStatus {
    return {
      source: this.loaded.source,
      goodSince: this.goodSince,
      ageMs: Math.max(0, this.now() - this.goodSince),
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** One refresh now (concurrent callers share it): true when a fresh root is in use. A failure keeps the current root. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * For /readyz: the root's source and age while it is young enough; past the maximum age, throws naming the age and
   * the last refresh error (verification would go on with a root that may no longer be Sigstore's).
   */
  readonly check = (): string => {
    const s = this.status();
    if (s.ageMs > this.opts.maxAgeMs) {
      throw new Error(
        `the trusted root (${s.source}) is ${hours(s.ageMs)} old, past the ${hours(this.opts.maxAgeMs)} allowed (AGENT_GATE_TRUST_ROOT_MAX_AGE_HOURS); last refresh error: ${s.lastError ?? "none recorded"}`,
      );
    }
    return `${s.source}, ${hours(s.ageMs)} old${s.consecutiveFailures > 0 ? `, ${s.consecutiveFailures} refresh(es) failed since: ${s.lastError}` : ""}`;
  };

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private async refreshOnce(): Promise<boolean> {
    try {
      let verifier: CachingBundleVerifier | undefined;
      const fresh = await fetchAndKeep(this.opts, (root) => (verifier = createVerifier({ ...this.opts.verifierOptions, trustedRoot: root })));
      const changed = JSON.stringify(fresh.root) !== JSON.stringify(this.loaded.root);
      this.verifier.replace(verifier!);
      this.loaded = fresh;
      this.goodSince = fresh.fetchedAt;
      this.consecutiveFailures = 0;
      this.opts.log?.info({ source: "tuf", changed }, changed ? "trusted root refreshed through TUF: a new root is in use" : "trusted root refreshed through TUF: unchanged");
      return true;
    } catch (e) {
      this.failed(`TUF refresh failed: ${describeWithCauses(e)}`, this.loaded.source);
      return false;
    }
  }

  private failed(cause: string, keeping: RootSource): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastError = cause;
    const ageMs = Math.max(0, this.now() - this.goodSince);
    this.opts.log?.warn({ err: cause, keeping, ageHours: Number((ageMs / 3_600_000).toFixed(2)), failures: this.consecutiveFailures }, `trusted root refresh failed; keeping the ${keeping} root`);
    this.opts.onFailure?.(cause);
  }

  private schedule(): void {
    if (this.stopped) return;
    const retry = this.opts.retryMs ?? Math.min(this.opts.intervalMs, 5 * 60_000);
    const delay = this.consecutiveFailures === 0 ? this.opts.intervalMs : Math.min(this.opts.intervalMs, retry * 2 ** Math.min(20, this.consecutiveFailures - 1));
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      void this.refresh().finally(() => this.schedule());
    }, delay);
  }
}
