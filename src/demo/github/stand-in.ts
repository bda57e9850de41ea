// An in-memory GitHub that answers the REST calls agent-gate makes, with bodies built from GitHub's own examples.
// Used by the demo, the benchmarks and the end-to-end tests (which also validate every exchange against the REST
// description). It serves over a fetch function (in-process) or a loopback HTTP server. It also plays GitHub's side
// of webhooks: signed deliveries to the App, their history (GET /app/hook/deliveries) and redeliveries.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import snappy from "snappyjs";
import type { Account, RecordedRequest, StandInCheckRun, StandInCommit, StandInDeploymentReview, StandInHookDelivery, StandInInstallation, StandInPull, StandInRepo } from "./model.js";
import templates from "./templates.js";
import appTemplates from "./app-templates.js";
import { primaryRateLimit, sleep } from "./faults.js";
import { readFileSync } from "node:fs";

// GitHub's documented answer to a manifest conversion (the App's credentials), from the REST description.
const manifestConversion = (JSON.parse(readFileSync(new URL("../../../fixtures/github/app-manifest-conversion.json", import.meta.url), "utf8")) as { example: Record<string, unknown> }).example;

export interface StandInRequest {
  method: string;
  url: string; // path and query
  headers: Record<string, string>;
  body: unknown;
}
export interface StandInResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Answer only after this many ms (a fault's latency); the wait ends early, unanswered, if the client aborts. */
  delayMs?: number;
}
export type FaultAnswer = StandInResponse | "drop" | undefined;
/**
 * Consulted in order before the stand-in answers: a response answers in its place, "drop" drops the connection,
 * undefined passes the request on. A fault may answer asynchronously (a Promise), e.g. to add latency and then pass
 * the request on, or to hang; `signal` aborts when the client gives up (or the stand-in closes).
 */
export type Fault = (req: StandInRequest, signal: AbortSignal) => FaultAnswer | Promise<FaultAnswer>;

/** A request budget per installation token, as GitHub's primary rate limit counts it. */
export interface RateLimitBudget {
  /** Requests per window (GitHub: 5000 per hour for an installation). */
  limit: number;
  /** The window, from the token's first request. Default 3600 s. */
  windowSeconds?: number;
}

export interface StandInOptions {
  /** The ID of the App's installation on the first repository's owner. Default 77 (the recorded scenarios'). */
  installationId?: number;
  /** The App's ID (X-GitHub-Hook-Installation-Target-ID, installations' app_id). Default 1. */
  appId?: number;
  /** Count requests against a budget per installation token. Default: none (every answer says 4999 remaining). */
  rateLimit?: RateLimitBudget;
  /** Clock (ms since the epoch) for rate-limit windows and delivery times. Default Date.now. */
  now?: () => number;
}

export interface DeliverOptions {
  /** The App's webhook URL. */
  url: string;
  /** The webhook secret: the body is signed with it (X-Hub-Signature-256). */
  secret: string;
  /** Record the delivery as failed ("failed to connect", 502) without sending it, as if GitHub could not reach the App. */
  drop?: boolean;
  /** Give up after this long (GitHub: 10 s); recorded as "timed out" with status_code 0. */
  timeoutMs?: number;
  /** Sends the request (default: the global fetch), e.g. to reach an App served in-process. */
  fetch?: typeof globalThis.fetch;
  /** X-GitHub-Delivery; default a random UUID. */
  guid?: string;
}

/** One delivery attempt, as the optional `dropDelivery` predicate sees it. */
export interface DeliveryAttempt {
  id: number;
  guid: string;
  event: string;
  redelivery: boolean;
}

const API = "https://api.github.com";
const BUNDLE_PATH = "_attestation-bundles";
const clone = <T>(v: T): T => structuredClone(v);
const DEFAULT_INSTALLATION = 77;
const DELIVERY_TIMEOUT_MS = 10_000;
/** What app.yml asks for; installations list these. */
const APP_PERMISSIONS = { metadata: "read", checks: "write", pull_requests: "read", contents: "read", deployments: "write", actions: "read", attestations: "read", merge_queues: "read" };
const APP_EVENTS = ["pull_request", "pull_request_review", "check_suite", "check_run", "merge_group", "deployment_protection_rule"];
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function bearer(req: StandInRequest): string | undefined {
  return /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
}

/** How GitHub relates a commenter to the repository: its owner, a listed collaborator, or nobody in particular. */
function association(repo: StandInRepo, a: Account): string {
  if (a.login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
  const collaborator = Object.keys(repo.collaborators ?? {}).some((login) => login.toLowerCase() === a.login.toLowerCase());
  return collaborator ? "COLLABORATOR" : "NONE";
}

function user(a: Account): Record<string, unknown> {
  const u = clone(templates.pull.user);
  const type = a.type ?? (a.login.endsWith("[bot]") ? "Bot" : "User");
  return { ...u, login: a.login, id: a.id, node_id: `U_${a.id}`, type, url: `${API}/users/${a.login}`, html_url: `https://github.com/${a.login}` };
}

export class GitHubStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly checkRuns: StandInCheckRun[] = [];
  /** Reviews and status comments posted to deployment protection rule callbacks, in order. */
  readonly deploymentReviews: StandInDeploymentReview[] = [];
  faults: Fault[] = [];
  /** Where attestation bundles are served (GitHub serves them from another host than the API; no token needed). */
  bundleBase = "https://attestations.stand-in.invalid";
  /** Keep every body written to a check run (assertions, demo); benchmarks keep only the latest state. */
  keepWrites = true;
  /** The ID of the installation on the first repository's owner; other owners get the following IDs. */
  installationId: number;
  appId: number;
  /** The webhook's ID (X-GitHub-Hook-ID). */
  hookId = 1;
  rateLimit: RateLimitBudget | undefined;
  now: () => number;
  /** Every webhook delivery attempt, by ascending id (GET /app/hook/deliveries lists them newest first). */
  readonly hookDeliveries: StandInHookDelivery[] = [];
  /** Fails chosen delivery attempts (redeliveries included) as `drop: true` does, e.g. while the App is "down". */
  dropDelivery: ((attempt: DeliveryAttempt) => boolean) | undefined;
  private nextId = 1000;
  private nextDeliveryId = 1;
  private server: Server | undefined;
  /**
   * Where pagination Link headers point: GitHub's API by default, the loopback URL once `listen()` runs. Set it when
   * serving `handle()` from a server of your own, or clients following Link headers leave for api.github.com.
   */
  linkBase = API;
  /** Aborted by close(): ends pending latencies and hangs. */
  private lifetime = new AbortController();
  private readonly budgets = new Map<string, { used: number; resetAt: number; limit: number }>();
  private readonly deliveryTargets = new Map<string, { event: string; body: string; url: string; secret: string; timeoutMs: number; fetch: typeof globalThis.fetch | undefined }>();
  private readonly pendingDeliveries = new Set<Promise<unknown>>();
  /** Manifests submitted through GitHub's web form, by the one-time code GitHub redirected back with. */
  private readonly manifestCodes = new Map<string, Record<string, unknown>>();

  constructor(readonly repos: StandInRepo[], options: StandInOptions = {}) {
    this.installationId = options.installationId ?? DEFAULT_INSTALLATION;
    this.appId = options.appId ?? 1;
    this.rateLimit = options.rateLimit;
    this.now = options.now ?? Date.now;
  }

  static etag(content: string): string {
    return `"${createHash("sha256").update(content).digest("hex").slice(0, 40)}"`;
  }

  repo(owner: string, name: string): StandInRepo | undefined {
    return this.repos.find((r) => r.owner.toLowerCase() === owner.toLowerCase() && r.name.toLowerCase() === name.toLowerCase());
  }

  pull(owner: string, name: string, number: number): StandInPull | undefined {
    return this.repo(owner, name)?.pulls.find((p) => p.number === number);
  }

  /** The pull request as GitHub's REST API shows it (webhook payloads carry the same object). */
  pullPayload(owner: string, name: string, number: number): Record<string, unknown> {
    const repo = this.repo(owner, name);
    const pull = this.pull(owner, name, number);
    if (!repo || !pull) throw new Error(`the stand-in has no pull request ${owner}/${name}#${number}`);
    return this.pullBody(repo, pull);
  }

  /**
   * The web step of GitHub's App manifest flow (the operator submits the manifest form on github.com and confirms):
   * returns the one-time code GitHub redirects to the manifest's redirect_url with.
   */
  createAppFromManifest(manifest: Record<string, unknown>): string {
    const code = createHash("sha256").update(`manifest ${this.manifestCodes.size} ${randomUUID()}`).digest("hex").slice(0, 20);
    this.manifestCodes.set(code, clone(manifest));
    return code;
  }

  /** Requests recorded since `mark` (an index into `requests`). */
  since(mark: number): RecordedRequest[] {
    return this.requests.slice(mark);
  }

  /**
   * Answers a request: the first fault that answers (after its delay, if any), else the stand-in's state. Rejects
   * with the signal's reason when `signal` aborts (or the stand-in closes) while a fault makes it wait.
   */
  async handle(req: StandInRequest, signal?: AbortSignal): Promise<StandInResponse | "drop"> {
    signal?.throwIfAborted();
    if (this.faults.length === 0) return this.answer(req);
    // The client's signal and the stand-in's lifetime, linked by hand: AbortSignal.any would tie every request's
    // signal to the long-lived lifetime signal.
    const lifetime = this.lifetime.signal;
    const link = new AbortController();
    const s = link.signal;
    const onAbort = function (this: AbortSignal): void {
      link.abort(this.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    lifetime.addEventListener("abort", onAbort, { once: true });
    try {
      s.throwIfAborted();
      for (const fault of this.faults) {
        const pending = fault(req, s);
        const injected = pending instanceof Promise ? await pending : pending;
        if (!injected) continue;
        if (injected === "drop") {
          this.record(req, 0, "dropped");
          return "drop";
        }
        const { delayMs, ...res } = injected;
        if (delayMs) await sleep(delayMs, s);
        this.record(req, res.status);
        return res;
      }
    } catch (e) {
      if (s.aborted) this.record(req, 0, "aborted");
      throw e;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      lifetime.removeEventListener("abort", onAbort);
    }
    return this.answer(req);
  }

  /** `handle` for synchronous faults only (throws on a fault that answers asynchronously or with a delay). */
  handleSync(req: StandInRequest): StandInResponse | "drop" {
    for (const fault of this.faults) {
      const injected = fault(req, this.lifetime.signal);
      if (injected instanceof Promise) throw new Error("a fault answered asynchronously: use handle()");
      if (!injected) continue;
      if (injected === "drop") {
        this.record(req, 0, "dropped");
        return "drop";
      }
      if (injected.delayMs) throw new Error("a fault answered with a delay: use handle()");
      this.record(req, injected.status);
      return injected;
    }
    return this.answer(req);
  }

  private answer(req: StandInRequest): StandInResponse {
    const budget = this.budget(req);
    let res: StandInResponse;
    if (budget && budget.used >= budget.limit) {
      res = primaryRateLimit(this.installationFor(req).id, Math.ceil(budget.resetAt / 1000), "0000:0000:000000:000000:00000000", budget.limit);
    } else {
      res = this.route(req);
      if (budget) {
        if (res.status !== 304) budget.used++; // GitHub does not count a conditional request answered 304
        if (res.headers["x-ratelimit-remaining"] !== undefined) {
          Object.assign(res.headers, {
            "x-ratelimit-limit": String(budget.limit), "x-ratelimit-remaining": String(budget.limit - budget.used), "x-ratelimit-used": String(budget.used),
            "x-ratelimit-reset": String(Math.ceil(budget.resetAt / 1000)), "x-ratelimit-resource": "core",
          });
        }
      }
    }
    this.record(req, res.status);
    return res;
  }

  /** The budget a request counts against: configured, and the request carries an installation token (not the App's JWT). */
  private budget(req: StandInRequest): { used: number; resetAt: number; limit: number } | undefined {
    const token = bearer(req);
    if (!this.rateLimit || !token || token.split(".").length === 3) return undefined;
    const now = this.now();
    let b = this.budgets.get(token);
    if (!b || now >= b.resetAt) {
      b = { used: 0, resetAt: now + (this.rateLimit.windowSeconds ?? 3600) * 1000, limit: this.rateLimit.limit };
      this.budgets.set(token, b);
    }
    b.limit = this.rateLimit.limit;
    return b;
  }

  private record(req: StandInRequest, status: number, outcome?: RecordedRequest["outcome"]): void {
    const path = req.url.split("?")[0] ?? req.url;
    const write = req.method !== "GET" && req.method !== "HEAD" && !path.endsWith("/access_tokens");
    this.requests.push({ method: req.method, path, status, write, ...(outcome ? { outcome } : {}) });
  }

  /** The App's installations: one per repository owner, in the order owners first appear in `repos`. */
  installations(): StandInInstallation[] {
    const byOwner = new Map<string, StandInInstallation>();
    for (const repo of this.repos) {
      const key = repo.owner.toLowerCase();
      let inst = byOwner.get(key);
      if (!inst) {
        const id = this.installationId + byOwner.size;
        const token = byOwner.size === 0 ? String(templates.installationToken.token) : `ghs_${createHash("sha256").update(`stand-in installation ${id}`).digest("base64url").replace(/[-_]/g, "").slice(0, 36)}`;
        inst = { id, account: { login: repo.owner, id: repo.id + 1, type: "Organization" }, token, repositories: [] };
        byOwner.set(key, inst);
      }
      inst.repositories.push(repo);
    }
    return [...byOwner.values()];
  }

  /** The installation a request's token belongs to; the first installation for any other token (tests use made-up ones). */
  installationFor(req: StandInRequest): StandInInstallation {
    const all = this.installations();
    const token = bearer(req);
    return all.find((i) => i.token === token) ?? all[0] ?? { id: this.installationId, account: { login: "stand-in", id: 1, type: "Organization" }, token: String(templates.installationToken.token), repositories: [] };
  }

  private json(status: number, body: unknown, headers: Record<string, string> = {}): StandInResponse {
    return { status, headers: { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-limit": "5000", ...headers }, body };
  }

  private notFound(): StandInResponse {
    return this.json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  /**
   * A user's permission: the role listed in `collaborators`, with GitHub's legacy base level beside it (maintain
   * reads as write, triage as read). Anyone else may read a public repository (read) and is unknown to a private
   * one (404).
   */
  private permission(repo: StandInRepo, login: string): StandInResponse {
    const role = Object.entries(repo.collaborators ?? {}).find(([l]) => l.toLowerCase() === login.toLowerCase())?.[1];
    if (!role && repo.private) return this.notFound();
    const roleName = role ?? "read";
    const legacy = roleName === "maintain" ? "write" : roleName === "triage" ? "read" : roleName;
    const account = this.knownAccount(repo, login) ?? { login, id: 0, type: "User" };
    return this.json(200, { ...clone(templates.collaboratorPermission), permission: legacy, role_name: roleName, user: { ...user(account), role_name: roleName } });
  }

  /** The account of a login seen in the repository's pull requests. */
  private knownAccount(repo: StandInRepo, login: string): Account | undefined {
    for (const pull of repo.pulls) {
      for (const a of [pull.user, ...pull.reviews.map((r) => r.user), ...pull.comments.map((c) => c.user)]) if (a.login.toLowerCase() === login.toLowerCase()) return a;
    }
    return undefined;
  }

  private route(req: StandInRequest): StandInResponse {
    const url = new URL(req.url, API);
    const p = url.pathname.split("/").map(decodeURIComponent);
    const m = req.method.toUpperCase();
    if (m === "POST" && p[1] === "app" && p[2] === "installations" && p[4] === "access_tokens") {
      const inst = this.installations().find((i) => i.id === Number(p[3]));
      return this.json(201, { ...clone(templates.installationToken), ...(inst ? { token: inst.token } : {}), expires_at: new Date(this.now() + 3600_000).toISOString() });
    }
    if (m === "GET" && p[1] === BUNDLE_PATH && p[2] && p[3] && p[4]) return this.attestationBundle(p[2], p[3], Number(p[4]));
    if (m === "POST" && p[1] === "app-manifests" && p[2] && p[3] === "conversions" && p.length === 4) return this.convertManifest(p[2]);
    if (p[1] === "app" && p[2] === "hook" && p[3] === "deliveries") return this.hookDeliveryRoute(m, p.slice(4), url);
    if (m === "GET" && p[1] === "app" && p[2] === "installations" && p.length === 3) {
      return this.paginated(this.installations().map((i) => this.installationBody(i)), url);
    }
    if (m === "GET" && p[1] === "installation" && p[2] === "repositories" && p.length === 3) {
      if (!bearer(req)) return this.json(401, { message: "Requires authentication", documentation_url: "https://docs.github.com/rest" });
      const repos = this.installationFor(req).repositories;
      return this.paginated(repos.map((r) => this.repositoryBody(r)), url, (items) => ({ total_count: repos.length, repositories: items, repository_selection: "selected" }));
    }
    if (p[1] !== "repos" || !p[2] || !p[3]) return this.notFound();
    const repo = this.repo(p[2], p[3]);
    if (!repo) return this.notFound();
    const rest = p.slice(4);
    if (m === "GET" && rest[0] === "contents") return this.contents(repo, rest.slice(1).join("/"), url, req);
    if (m === "GET" && rest[0] === "pulls" && rest.length === 1) return this.listPulls(repo, url);
    if (rest[0] === "pulls" && rest[1]) {
      const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
      if (!pull) return this.notFound();
      const paged = <T>(items: T[]): StandInResponse => this.paginated(items, url);
      if (m === "GET" && rest.length === 2) return this.json(200, this.pullBody(repo, pull));
      if (m === "GET" && rest[2] === "commits") return paged(pull.commits.map((c) => this.commitBody(repo, c)));
      if (m === "GET" && rest[2] === "files")
        return paged(
          pull.files.map((f) => {
            const { patch: example, ...file } = clone(templates.file);
            const patch = f.patch === null ? {} : { patch: f.patch ?? example };
            return { ...file, ...patch, sha: "0".repeat(40), filename: f.filename, status: f.status ?? "modified", additions: f.additions, deletions: f.deletions, changes: f.additions + f.deletions, ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}) };
          }),
        );
      if (m === "GET" && rest[2] === "reviews") {
        return paged(pull.reviews.map((r, i) => ({ ...clone(templates.review), id: r.id ?? i + 1, user: user(r.user), state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at ?? "2026-11-26T06:00:00Z", body: r.body ?? "" })));
      }
    }
    if (m === "GET" && rest[0] === "collaborators" && rest[1] && rest[2] === "permission" && rest.length === 3) return this.permission(repo, rest[1]);
    if (m === "GET" && rest[0] === "issues" && rest[2] === "comments") {
      const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
      if (!pull) return this.notFound();
      return this.paginated(pull.comments.map((c, i) => ({ ...clone(templates.comment), id: c.id ?? i + 1, user: user(c.user), body: c.body, created_at: c.created_at ?? "2026-11-26T06:00:00Z", author_association: c.author_association ?? association(repo, c.user) })), url);
    }
    if (m === "GET" && rest[0] === "commits" && rest[2] === "pulls") {
      const sha = rest[1];
      return this.json(200, repo.pulls.filter((x) => x.head.sha === sha || x.merged?.commitSha === sha).map((x) => this.pullBody(repo, x)));
    }
    if (m === "GET" && rest[0] === "commits" && rest[2] === "check-runs") return this.listCheckRuns(repo, rest[1] ?? "", url);
    if (m === "GET" && rest[0] === "attestations" && rest[1] && rest.length === 2) return this.attestations(repo, rest[1]);
    if (m === "GET" && rest[0] === "actions" && rest[1] === "runs" && rest[2] && rest[3] === "approvals" && rest.length === 4) {
      const approvals = (repo.deploymentApprovals ?? []).filter((a) => a.runId === Number(rest[2]));
      return this.json(200, approvals.map((a) => ({
        environments: [{ id: 5600 + a.environment.length, node_id: `EN_${a.environment}`, name: a.environment, url: `${API}/repos/${repo.owner}/${repo.name}/environments/${a.environment}`, html_url: `https://github.com/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${a.environment}`, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }],
        state: a.state, user: user(a.user), comment: a.comment ?? "",
      })));
    }
    if (m === "POST" && rest[0] === "actions" && rest[1] === "runs" && rest[2] && rest[3] === "deployment_protection_rule" && rest.length === 4) {
      this.deploymentReviews.push({ owner: repo.owner, repo: repo.name, runId: Number(rest[2]), body: clone(req.body as Record<string, unknown>), authorized: req.headers.authorization !== undefined });
      return { status: 204, headers: {}, body: undefined };
    }
    if (m === "POST" && rest[0] === "check-runs" && rest.length === 1) return this.createCheckRun(repo, req.body as Record<string, unknown>);
    if (m === "PATCH" && rest[0] === "check-runs" && rest[1]) return this.updateCheckRun(repo, Number(rest[1]), req.body as Record<string, unknown>);
    return this.notFound();
  }

  // POST /app-manifests/{code}/conversions: GitHub's example credentials for the App the manifest described; a code
  // works once (GitHub's expire after an hour), an unknown one is 404.
  private convertManifest(code: string): StandInResponse {
    const manifest = this.manifestCodes.get(code);
    if (!manifest) return this.notFound();
    this.manifestCodes.delete(code);
    const name = typeof manifest.name === "string" ? manifest.name : String(manifestConversion.name);
    return this.json(201, {
      ...clone(manifestConversion),
      id: this.appId,
      slug: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      name,
      description: typeof manifest.description === "string" ? manifest.description : "",
      external_url: typeof manifest.url === "string" ? manifest.url : manifestConversion.external_url,
      html_url: `https://github.com/apps/${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
      permissions: manifest.default_permissions ?? {},
      events: manifest.default_events ?? [],
    });
  }

  private attestations(repo: StandInRepo, digest: string): StandInResponse {
    const list = (repo.attestations ?? []).map((a, i) => ({ a, i })).filter(({ a }) => a.digest === digest);
    // Since mid-2026 the list carries no bundle: clients fetch bundle_url. (GitHub sends `bundle: null`; the REST
    // description still types it as an object, so the stand-in leaves the field out, which both accept.)
    return this.json(200, {
      attestations: list.map(({ i }) => ({ repository_id: repo.id, bundle_url: `${this.bundleBase}/${BUNDLE_PATH}/${repo.owner}/${repo.name}/${i}`, initiator: "github-actions" })),
    });
  }

  private attestationBundle(owner: string, name: string, index: number): StandInResponse {
    const a = this.repo(owner, name)?.attestations?.[index];
    if (!a) return { status: 404, headers: { "content-type": "text/plain" }, body: new TextEncoder().encode("not found") };
    const json = new TextEncoder().encode(JSON.stringify(a.bundle));
    return { status: 200, headers: { "content-type": "application/x-snappy" }, body: snappy.compress(json) };
  }

  /** One page (`page`, `per_page` up to 100) of `items`, with GitHub's Link header; `wrap` builds an object body. */
  private paginated(items: unknown[], url: URL, wrap?: (page: unknown[]) => unknown): StandInResponse {
    const page = Math.max(1, Math.floor(Number(url.searchParams.get("page") ?? 1)) || 1);
    const perPage = Math.min(100, Math.max(1, Math.floor(Number(url.searchParams.get("per_page") ?? 30)) || 30));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    const link = (n: number): string => {
      const u = new URL(url.pathname + url.search, this.linkBase);
      u.searchParams.set("page", String(n));
      return u.toString();
    };
    const rels: string[] = [];
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
    if (rels.length) headers.link = rels.join(", ");
    const slice = items.slice((page - 1) * perPage, page * perPage);
    return this.json(200, wrap ? wrap(slice) : slice, headers);
  }

  /** GET /repos/{owner}/{repo}/pulls: `state` (default open), `head` (owner:ref), `base`, `sort`, `direction`. */
  private listPulls(repo: StandInRepo, url: URL): StandInResponse {
    const q = url.searchParams;
    const state = q.get("state") ?? "open";
    if (!["open", "closed", "all"].includes(state)) return this.json(422, { message: "Validation Failed", errors: [{ resource: "Issue", field: "state", code: "invalid" }], documentation_url: "https://docs.github.com/rest/pulls/pulls#list-pull-requests" });
    const head = q.get("head");
    const base = q.get("base");
    const pulls = repo.pulls.filter((x) => {
      const s = x.merged ? "closed" : (x.state ?? "open");
      const headOwner = x.head.repo?.owner ?? repo.owner;
      return (state === "all" || s === state) && (!base || x.base.ref === base) && (!head || head === `${headOwner}:${x.head.ref}` || (!head.includes(":") && head.toLowerCase() === headOwner.toLowerCase()));
    });
    // Without creation times, the number orders pull requests by creation (GitHub's default: newest first).
    const sort = q.get("sort") ?? "created";
    const direction = q.get("direction") ?? (sort === "created" ? "desc" : "asc");
    pulls.sort((a, b) => (direction === "asc" ? a.number - b.number : b.number - a.number));
    return this.paginated(pulls.map((x) => this.pullSimpleBody(repo, x)), url);
  }

  /** A pull request as lists show it (pull-request-simple): the full body's fields that lists carry. */
  private pullSimpleBody(repo: StandInRepo, pull: StandInPull): Record<string, unknown> {
    const full = this.pullBody(repo, pull);
    return Object.fromEntries(appTemplates.pullSimpleKeys.filter((k) => k in full).map((k) => [k, full[k]]));
  }

  /**
   * GET /repos/{owner}/{repo}/commits/{ref}/check-runs: `check_name`, `filter` (default `latest`: the most recent run
   * of each name; `all`: every run), then `status`; newest first, paginated like GitHub (total_count counts all matches).
   */
  private listCheckRuns(repo: StandInRepo, ref: string, url: URL): StandInResponse {
    const q = url.searchParams;
    const name = q.get("check_name");
    const status = q.get("status");
    let runs = this.checkRuns.filter((r) => r.owner === repo.owner && r.repo === repo.name && r.head_sha === ref && (!name || r.name === name));
    if ((q.get("filter") ?? "latest") === "latest") {
      const latest = new Map<string, StandInCheckRun>();
      for (const r of runs) if ((latest.get(r.name)?.id ?? -Infinity) < r.id) latest.set(r.name, r);
      runs = runs.filter((r) => latest.get(r.name) === r);
    }
    // `status` applies to the runs `filter` kept: a name whose newest run is in progress has no "latest completed" run.
    runs = runs.filter((r) => !status || r.status === status).sort((a, b) => b.id - a.id);
    return this.paginated(runs.map((r) => this.checkRunBody(repo, r)), url, (items) => ({ total_count: runs.length, check_runs: items }));
  }

  private installationBody(inst: StandInInstallation): Record<string, unknown> {
    const t = clone(appTemplates.installation);
    // The REST description types `account` as allOf [Simple User, Enterprise] (meaning either), so a body valid
    // against it also carries the Enterprise fields GitHub's own example leaves out.
    const account = { ...user(inst.account), name: inst.account.login, slug: inst.account.login.toLowerCase(), created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" };
    return {
      ...t,
      id: inst.id, account, app_id: this.appId, app_slug: "agent-gate",
      target_id: inst.account.id, target_type: inst.account.type === "User" ? "User" : "Organization",
      access_tokens_url: `${API}/app/installations/${inst.id}/access_tokens`, repositories_url: `${API}/installation/repositories`,
      html_url: `https://github.com/organizations/${inst.account.login}/settings/installations/${inst.id}`,
      permissions: { ...APP_PERMISSIONS }, events: [...APP_EVENTS], repository_selection: "selected",
      single_file_name: null, has_multiple_single_files: false, single_file_paths: [],
      created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", suspended_at: null, suspended_by: null,
    };
  }

  /** A repository as GET /installation/repositories shows it (the full repository schema). */
  private repositoryBody(repo: StandInRepo): Record<string, unknown> {
    const t = clone((templates.installationToken.repositories as Record<string, unknown>[])[0]!);
    const full = `${repo.owner}/${repo.name}`;
    const base = `${API}/repos/${full}`;
    const urls = Object.fromEntries(Object.entries(t).filter(([k, v]) => k.endsWith("_url") && typeof v === "string" && v.startsWith(`${API}/repos/octocat/Hello-World`)).map(([k, v]) => [k, (v as string).replace(`${API}/repos/octocat/Hello-World`, base)]));
    return {
      ...t, ...urls,
      id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: full, owner: user({ login: repo.owner, id: repo.id + 1, type: "Organization" }),
      private: repo.private ?? false, visibility: repo.private ? "private" : "public", default_branch: repo.defaultBranch,
      url: base, html_url: `https://github.com/${full}`, clone_url: `https://github.com/${full}.git`, git_url: `git://github.com/${full}.git`, ssh_url: `git@github.com:${full}.git`,
      svn_url: `https://github.com/${full}`, mirror_url: null, homepage: null, description: null, is_template: false, topics: [], template_repository: null,
      permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    };
  }

  /** GET /app/hook/deliveries[/{id}], POST /app/hook/deliveries/{id}/attempts. */
  private hookDeliveryRoute(m: string, rest: string[], url: URL): StandInResponse {
    if (m === "GET" && rest.length === 0) {
      const q = url.searchParams;
      const perPage = Math.min(100, Math.max(1, Math.floor(Number(q.get("per_page") ?? 30)) || 30));
      const cursor = q.get("cursor");
      const status = q.get("status");
      if (status !== null && status !== "success" && status !== "failure") return this.json(422, { message: "Validation Failed", errors: [{ resource: "HookDelivery", field: "status", code: "invalid" }], documentation_url: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook" });
      const from = cursor === null ? undefined : /^v1_(\d+)$/.exec(cursor)?.[1];
      if (cursor !== null && from === undefined) return this.json(400, { message: "Bad Request", documentation_url: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook" });
      // Newest first. "success" is a status_code in 200-399, "failure" in 400-599 (GitHub's documented ranges: a
      // timed-out delivery, status_code 0, is in neither).
      const all = [...this.hookDeliveries]
        .sort((a, b) => b.id - a.id)
        .filter((d) => !status || (status === "success" ? d.status_code >= 200 && d.status_code <= 399 : d.status_code >= 400 && d.status_code <= 599))
        .filter((d) => from === undefined || d.id <= Number(from));
      const page = all.slice(0, perPage);
      const next = all[perPage];
      const headers: Record<string, string> = {};
      if (next) {
        const u = new URL(url.pathname + url.search, this.linkBase);
        u.searchParams.set("per_page", String(perPage));
        u.searchParams.set("cursor", `v1_${next.id}`);
        headers.link = `<${u.toString()}>; rel="next"`;
      }
      return this.json(200, page.map((d) => this.deliverySummary(d)), headers);
    }
    const delivery = this.hookDeliveries.find((d) => String(d.id) === rest[0]);
    if (!delivery) return this.notFound();
    if (m === "GET" && rest.length === 1) return this.json(200, clone(delivery));
    if (m === "POST" && rest.length === 2 && rest[1] === "attempts") {
      // Accepted now, sent later (GitHub queues it): the App sees the same GUID again as a new delivery.
      void this.track(new Promise((resolve) => setImmediate(resolve)).then(() => this.redeliver(delivery.id)));
      return this.json(202, {});
    }
    return this.notFound();
  }

  private deliverySummary(d: StandInHookDelivery): Record<string, unknown> {
    const { url: _url, request: _request, response: _response, ...summary } = d;
    return clone(summary);
  }

  /**
   * Delivers a webhook as GitHub does: a new GUID (X-GitHub-Delivery), the body signed with the secret
   * (X-Hub-Signature-256, and the legacy X-Hub-Signature), POSTed with a 10 s timeout, the attempt recorded in the
   * delivery history. Resolves with the recorded attempt; it never rejects for the App's failures.
   */
  deliver(event: string, payload: Record<string, unknown> | string, options: DeliverOptions): Promise<StandInHookDelivery> {
    const guid = options.guid ?? randomUUID();
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    this.deliveryTargets.set(guid, { event, body, url: options.url, secret: options.secret, timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS, fetch: options.fetch });
    return this.track(this.attempt(guid, false, options.drop === true));
  }

  /** Sends delivery `id` again: the same GUID and body, recorded as a new attempt with `redelivery: true`. */
  redeliver(id: number): Promise<StandInHookDelivery> {
    const d = this.hookDeliveries.find((x) => x.id === id);
    if (!d) return Promise.reject(new Error(`no webhook delivery ${id}`));
    return this.track(this.attempt(d.guid, true, false));
  }

  /** Resolves once every delivery in flight (redeliveries queued through the API included) has been recorded. */
  async idle(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pendingDeliveries.add(p);
    const done = (): void => void this.pendingDeliveries.delete(p);
    p.then(done, done);
    return p;
  }

  private async attempt(guid: string, redelivery: boolean, drop: boolean): Promise<StandInHookDelivery> {
    const t = this.deliveryTargets.get(guid)!;
    const id = this.nextDeliveryId++;
    let payload: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(t.body) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
    } catch {
      payload = null;
    }
    const num = (v: unknown): number | null => (v && typeof v === "object" && typeof (v as { id?: unknown }).id === "number" ? (v as { id: number }).id : null);
    const headers: Record<string, string> = {
      Accept: "*/*", "content-type": "application/json", "User-Agent": "GitHub-Hookshot/stand-in",
      "X-GitHub-Delivery": guid, "X-GitHub-Event": t.event, "X-GitHub-Hook-ID": String(this.hookId),
      "X-GitHub-Hook-Installation-Target-ID": String(this.appId), "X-GitHub-Hook-Installation-Target-Type": "integration",
      "X-Hub-Signature": `sha1=${createHmac("sha1", t.secret).update(t.body).digest("hex")}`,
      "X-Hub-Signature-256": `sha256=${createHmac("sha256", t.secret).update(t.body).digest("hex")}`,
    };
    const startedAt = this.now();
    const t0 = performance.now();
    let status: string;
    let statusCode: number;
    let response: StandInHookDelivery["response"] = { headers: null, payload: null };
    if (drop || this.dropDelivery?.({ id, guid, event: t.event, redelivery })) {
      status = "failed to connect";
      statusCode = 502;
    } else {
      try {
        const res = await (t.fetch ?? globalThis.fetch)(t.url, { method: "POST", headers, body: t.body, signal: AbortSignal.timeout(t.timeoutMs) });
        const text = await res.text();
        const resHeaders: Record<string, string> = {};
        res.headers.forEach((v, k) => (resHeaders[k] = v));
        response = { headers: resHeaders, payload: text };
        statusCode = res.status;
        status = res.status >= 200 && res.status < 300 ? "OK" : `Invalid HTTP Response: ${res.status}`;
      } catch (e) {
        statusCode = 0;
        status = e instanceof Error && e.name === "TimeoutError" ? "timed out" : "failed to connect";
      }
    }
    const delivery: StandInHookDelivery = {
      id, guid, delivered_at: isoSeconds(startedAt), redelivery, duration: Math.round(performance.now() - t0) / 1000,
      status, status_code: statusCode, event: t.event, action: typeof payload?.action === "string" ? payload.action : null,
      installation_id: num(payload?.installation), repository_id: num(payload?.repository), throttled_at: null,
      url: t.url, request: { headers, payload }, response,
    };
    this.hookDeliveries.push(delivery);
    this.hookDeliveries.sort((a, b) => a.id - b.id);
    return delivery;
  }

  private contents(repo: StandInRepo, path: string, url: URL, req: StandInRequest): StandInResponse {
    const ref = url.searchParams.get("ref");
    if (ref && ref !== repo.defaultBranch) return this.notFound(); // the stand-in only holds the default branch
    const content = repo.files[path];
    if (content === undefined) return this.notFound();
    const etag = GitHubStandIn.etag(content);
    if (req.headers["if-none-match"] === etag) return { status: 304, headers: { etag }, body: undefined };
    const t = clone(templates.contentFile);
    const base = `${API}/repos/${repo.owner}/${repo.name}/contents/${path}`;
    return this.json(200, { ...t, path, name: path.split("/").pop(), size: Buffer.byteLength(content), content: Buffer.from(content).toString("base64"), encoding: "base64", url: base, sha: etag.slice(1, 41) }, { etag });
  }

  private pullBody(repo: StandInRepo, pull: StandInPull): Record<string, unknown> {
    const t = clone(templates.pull) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    const repoBody = (owner: string, name: string, id: number): Record<string, unknown> => ({
      ...clone((templates.pull.head as { repo: Record<string, unknown> }).repo),
      id, name, full_name: `${owner}/${name}`, owner: user({ login: owner, id: id + 1, type: "Organization" }), default_branch: repo.defaultBranch, private: repo.private ?? false,
      url: `${API}/repos/${owner}/${name}`, html_url: `https://github.com/${owner}/${name}`,
    });
    const headRepo = pull.head.repo ?? { owner: repo.owner, name: repo.name, id: repo.id };
    return {
      ...t,
      id: pull.number * 10, number: pull.number, title: pull.title, body: pull.body, user: user(pull.user), state: pull.state ?? "open", draft: pull.draft ?? false,
      labels: (pull.labels ?? []).map((name, i) => ({ id: i + 1, node_id: `L_${i}`, url: `${API}/repos/${repo.owner}/${repo.name}/labels/${name}`, name, description: "", color: "ededed", default: false })),
      head: { ...t.head, ref: pull.head.ref, sha: pull.head.sha, label: `${headRepo.owner}:${pull.head.ref}`, user: user({ login: headRepo.owner, id: headRepo.id + 1 }), repo: repoBody(headRepo.owner, headRepo.name, headRepo.id) },
      base: { ...t.base, ref: pull.base.ref, sha: pull.base.sha, label: `${repo.owner}:${pull.base.ref}`, user: user({ login: repo.owner, id: repo.id + 1 }), repo: repoBody(repo.owner, repo.name, repo.id) },
      // GitHub's example is of a merged pull request; an unmerged one has no merge time (nor a close time while open).
      merged: false, merged_at: null, merged_by: null, closed_at: (pull.state ?? "open") === "closed" ? "2026-11-27T00:00:00Z" : null,
      comments: pull.comments.length, commits: pull.commits.length, changed_files: pull.files.length,
      additions: pull.files.reduce((n, f) => n + f.additions, 0), deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
      url: `${API}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`, html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}`,
      ...(pull.merged ? { state: "closed", merged: true, merged_at: pull.merged.at, closed_at: pull.merged.at, merge_commit_sha: pull.merged.commitSha } : {}),
    };
  }

  private commitBody(repo: StandInRepo, c: StandInCommit): Record<string, unknown> {
    const t = clone(templates.commit) as Record<string, Record<string, unknown>>;
    const committer = c.committer ?? c.author;
    const date = c.author.date ?? "2026-11-26T05:00:00Z";
    return {
      ...t,
      sha: c.sha, node_id: `C_${c.sha.slice(0, 8)}`,
      url: `${API}/repos/${repo.owner}/${repo.name}/commits/${c.sha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${c.sha}`,
      commit: {
        ...t.commit,
        message: c.message,
        author: { name: c.author.name, email: c.author.email, date },
        committer: { name: committer.name, email: committer.email, date: committer.date ?? date },
        tree: { sha: c.tree, url: `${API}/repos/${repo.owner}/${repo.name}/git/trees/${c.tree}` },
        ...(c.verification ? { verification: { verified_at: null, ...c.verification } } : {}),
      },
      author: c.author.account ? user(c.author.account) : null,
      committer: committer.account ? user(committer.account) : null,
      parents: (c.parents ?? []).map((sha) => ({ sha, url: `${API}/repos/${repo.owner}/${repo.name}/commits/${sha}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}` })),
    };
  }

  private checkRunBody(repo: StandInRepo, r: StandInCheckRun): Record<string, unknown> {
    const t = clone(templates.checkRun);
    return {
      ...t,
      id: r.id, node_id: `CR_${r.id}`, head_sha: r.head_sha, name: r.name, status: r.status, conclusion: r.conclusion, external_id: r.external_id,
      started_at: r.started_at, completed_at: r.completed_at,
      output: { title: r.output.title, summary: r.output.summary, text: r.output.text, annotations_count: r.output.annotations_count, annotations_url: `${API}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}/annotations` },
      url: `${API}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}`, html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${r.id}`,
      pull_requests: [],
    };
  }

  private applyCheckRunWrite(r: StandInCheckRun, body: Record<string, unknown>): void {
    if (this.keepWrites) r.writes.push(clone(body));
    if (typeof body.status === "string") r.status = body.status as StandInCheckRun["status"];
    if (typeof body.conclusion === "string") {
      r.conclusion = body.conclusion;
      r.status = "completed";
    }
    if (typeof body.external_id === "string") r.external_id = body.external_id;
    if (typeof body.started_at === "string") r.started_at = body.started_at;
    if (typeof body.completed_at === "string") r.completed_at = body.completed_at;
    const out = body.output as { title?: string; summary?: string; text?: string; annotations?: unknown[] } | undefined;
    if (out) {
      r.output.title = out.title ?? r.output.title;
      r.output.summary = out.summary ?? r.output.summary;
      r.output.text = out.text ?? r.output.text;
      if (out.annotations) {
        r.annotations.push(...out.annotations);
        r.output.annotations_count = r.annotations.length;
      }
    }
    if (Array.isArray(body.actions)) r.actions = body.actions;
  }

  private createCheckRun(repo: StandInRepo, body: Record<string, unknown>): StandInResponse {
    const r: StandInCheckRun = {
      id: this.nextId++, owner: repo.owner, repo: repo.name, head_sha: String(body.head_sha), name: String(body.name),
      status: "queued", conclusion: null, external_id: null, output: { title: null, summary: null, text: null, annotations_count: 0 },
      annotations: [], actions: [], started_at: null, completed_at: null, writes: [],
    };
    this.applyCheckRunWrite(r, body);
    this.checkRuns.push(r);
    return this.json(201, this.checkRunBody(repo, r));
  }

  private updateCheckRun(repo: StandInRepo, id: number, body: Record<string, unknown>): StandInResponse {
    const r = this.checkRuns.find((x) => x.id === id && x.owner === repo.owner && x.repo === repo.name);
    if (!r) return this.notFound();
    this.applyCheckRunWrite(r, body);
    return this.json(200, this.checkRunBody(repo, r));
  }

  /** A fetch function serving this stand-in in-process (for Octokit's `request.fetch`). */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const res = await this.handle({ method: request.method, url: url.pathname + url.search, headers, body: text ? (JSON.parse(text) as unknown) : undefined }, request.signal);
    if (res === "drop") throw new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed: connection reset by the GitHub stand-in"), { code: "UND_ERR_SOCKET" }) });
    const payload = res.body === undefined ? null : res.body instanceof Uint8Array ? res.body : JSON.stringify(res.body);
    const response = new Response(res.status === 304 || res.status === 204 ? null : payload, { status: res.status, headers: res.headers });
    // As a real fetch's: Octokit's paginate reads it on the last page of a list wrapped in an object.
    Object.defineProperty(response, "url", { value: request.url });
    return response;
  };

  /** Serves the stand-in on loopback; resolves to its base URL (which Link headers and bundle URLs then use). */
  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      const gone = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) gone.abort(new Error("the client closed the connection"));
      });
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        let body: unknown;
        try {
          body = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          const bad = this.json(400, { message: "Problems parsing JSON" });
          res.writeHead(bad.status, bad.headers);
          res.end(JSON.stringify(bad.body));
          return;
        }
        this.handle({ method: req.method ?? "GET", url: req.url ?? "/", headers, body }, gone.signal).then(
          (result) => {
            if (result === "drop") {
              req.socket.destroy();
              return;
            }
            res.writeHead(result.status, result.headers);
            res.end(result.body === undefined ? undefined : result.body instanceof Uint8Array ? result.body : JSON.stringify(result.body));
          },
          (e: unknown) => {
            if (gone.signal.aborted || this.lifetime.signal.aborted || res.headersSent) {
              req.socket.destroy();
              return;
            }
            res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify({ message: `GitHub stand-in error: ${e instanceof Error ? e.message : String(e)}` }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.bundleBase = base;
    this.linkBase = base;
    return base;
  }

  /** Ends pending latencies and hangs (their requests fail), and stops the loopback server if listening. */
  async close(): Promise<void> {
    this.lifetime.abort(new Error("the GitHub stand-in closed"));
    this.lifetime = new AbortController();
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
  }
}
