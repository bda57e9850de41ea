// An in-memory GitHub that answers the REST calls agent-gate makes, with bodies built from GitHub's own examples.
// Used by the demo, the benchmarks and the end-to-end tests (which also validate every exchange against the REST
// description). It serves over a fetch function (in-process) or a loopback HTTP server. It also plays GitHub's side
// of webhooks: signed deliveries to the App, their history (GET /app/hook/deliveries) and redeliveries.
// The routes and bodies live beside it: http.ts (requests, responses, pagination), bodies.ts, repo-routes.ts,
// check-runs.ts, webhooks.ts.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedRequest, StandInCheckRun, StandInDeploymentReview, StandInHookDelivery, StandInInstallation, StandInPull, StandInRepo } from "./model.js";
import { sha256Bytes, sha256Hex } from "../../core/digest.js";
import templates from "./templates.js";
import { primaryRateLimit, sleep } from "./faults.js";
import { API, bearer, clone, json, notFound, paginated, type Fault, type StandInRequest, type StandInResponse } from "./http.js";
import { installationBody, manifestConversionBody, pullBody, repositoryBody } from "./bodies.js";
import { attestationBundle, BUNDLE_PATH, routeRepo, type RepoRouteContext } from "./repo-routes.js";
import { HookDeliveries, type DeliverOptions, type DeliveryAttempt } from "./webhooks.js";
import { answerGraphql } from "./graphql.js";
import { installationsOf, isHidden, type Selections } from "./installations.js";

export type { Fault, FaultAnswer, StandInRequest, StandInResponse } from "./http.js";
export type { DeliverOptions, DeliveryAttempt } from "./webhooks.js";

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
  /** Installations on selected repositories (or all) by owner; see installations.ts for the default. */
  repositorySelection?: Selections;
}

const DEFAULT_INSTALLATION = 77;

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
  /** Installations on selected repositories (or all) by owner (installations.ts); a repository's `installed` says which. */
  repositorySelection: Selections;
  /** Fails chosen delivery attempts (redeliveries included) as `drop: true` does, e.g. while the App is "down". */
  dropDelivery: ((attempt: DeliveryAttempt) => boolean) | undefined;
  private readonly webhooks = new HookDeliveries(this);
  /** Every webhook delivery attempt, by ascending id (GET /app/hook/deliveries lists them newest first). */
  readonly hookDeliveries: StandInHookDelivery[] = this.webhooks.deliveries;
  private nextId = 1000;
  private server: Server | undefined;
  /**
   * Where pagination Link headers point: GitHub's API by default, the loopback URL once `listen()` runs. Set it when
   * serving `handle()` from a server of your own, or clients following Link headers leave for api.github.com.
   */
  linkBase = API;
  /** Aborted by close(): ends pending latencies and hangs. */
  private lifetime = new AbortController();
  private readonly budgets = new Map<string, { used: number; resetAt: number; limit: number }>();
  /** Manifests submitted through GitHub's web form, by the one-time code GitHub redirected back with. */
  private readonly manifestCodes = new Map<string, Record<string, unknown>>();

  constructor(readonly repos: StandInRepo[], options: StandInOptions = {}) {
    this.installationId = options.installationId ?? DEFAULT_INSTALLATION;
    this.appId = options.appId ?? 1;
    this.rateLimit = options.rateLimit;
    this.now = options.now ?? Date.now;
    this.repositorySelection = options.repositorySelection ?? {};
  }

  static etag(content: string): string {
    return `"${sha256Hex(content).slice(0, 40)}"`;
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
    return pullBody(repo, pull);
  }

  /**
   * The web step of GitHub's App manifest flow (the operator submits the manifest form on github.com and confirms):
   * returns the one-time code GitHub redirects to the manifest's redirect_url with.
   */
  createAppFromManifest(manifest: Record<string, unknown>): string {
    const code = sha256Hex(`manifest ${this.manifestCodes.size} ${randomUUID()}`).slice(0, 20);
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
    // A GraphQL query is a read (agent-gate sends no mutations).
    const write = req.method !== "GET" && req.method !== "HEAD" && !path.endsWith("/access_tokens") && path !== "/graphql";
    this.requests.push({ method: req.method, path, status, write, ...(outcome ? { outcome } : {}) });
  }

  /** The App's installations: one per repository owner, in the order owners first appear in `repos` (installations.ts). */
  installations(): StandInInstallation[] {
    return installationsOf(this.repos, this.repositorySelection, this.installationId, (id, index) => (index === 0 ? String(templates.installationToken.token) : `ghs_${sha256Bytes(`stand-in installation ${id}`).toString("base64url").replace(/[-_]/g, "").slice(0, 36)}`));
  }

  /** The installation a request's token belongs to; the first installation for any other token (tests use made-up ones). */
  installationFor(req: StandInRequest): StandInInstallation {
    const all = this.installations();
    const token = bearer(req);
    return all.find((i) => i.token === token) ?? all[0] ?? { id: this.installationId, account: { login: "stand-in", id: 1, type: "Organization" }, token: String(templates.installationToken.token), repositorySelection: "all", repositories: [] };
  }

  private route(req: StandInRequest): StandInResponse {
    const url = new URL(req.url, API);
    const p = url.pathname.split("/").map(decodeURIComponent);
    const m = req.method.toUpperCase();
    if (m === "POST" && p[1] === "app" && p[2] === "installations" && p[4] === "access_tokens") {
      const inst = this.installations().find((i) => i.id === Number(p[3]));
      return json(201, { ...clone(templates.installationToken), ...(inst ? { token: inst.token } : {}), expires_at: new Date(this.now() + 3600_000).toISOString() });
    }
    if (m === "GET" && p[1] === BUNDLE_PATH && p[2] && p[3] && p[4]) return attestationBundle(this.repo(p[2], p[3]), Number(p[4]));
    if (m === "POST" && p[1] === "app-manifests" && p[2] && p[3] === "conversions" && p.length === 4) return this.convertManifest(p[2]);
    if (m === "POST" && p[1] === "graphql" && p.length === 2) return answerGraphql(this.repos.filter((r) => !isHidden(this.repos, this.repositorySelection, r)), req);
    if (p[1] === "app" && p[2] === "hook" && p[3] === "deliveries") return this.webhooks.route(m, p.slice(4), url);
    if (m === "GET" && p[1] === "app" && p[2] === "installations" && p.length === 3) {
      return paginated(this.installations().map((i) => installationBody(i, this.appId)), url, this.linkBase);
    }
    if (m === "GET" && p[1] === "installation" && p[2] === "repositories" && p.length === 3) {
      if (!bearer(req)) return json(401, { message: "Requires authentication", documentation_url: "https://docs.github.com/rest" });
      const inst = this.installationFor(req);
      const repos = inst.repositories;
      return paginated(repos.map((r) => repositoryBody(r)), url, this.linkBase, (items) => ({ total_count: repos.length, repositories: items, repository_selection: inst.repositorySelection }));
    }
    if (p[1] !== "repos" || !p[2] || !p[3]) return notFound();
    const repo = this.repo(p[2], p[3]);
    // A private repository outside the installation: GitHub's answer for one that does not exist.
    if (!repo || isHidden(this.repos, this.repositorySelection, repo)) return notFound();
    return routeRepo(this.routeContext(), repo, req, m, p.slice(4), url);
  }

  private routeContext(): RepoRouteContext {
    return {
      linkBase: this.linkBase,
      bundleBase: this.bundleBase,
      keepWrites: this.keepWrites,
      checkRuns: this.checkRuns,
      deploymentReviews: this.deploymentReviews,
      nextId: () => this.nextId++,
      etag: (content) => GitHubStandIn.etag(content),
    };
  }

  // POST /app-manifests/{code}/conversions: GitHub's example credentials for the App the manifest described; a code
  // works once (GitHub's expire after an hour), an unknown one is 404.
  private convertManifest(code: string): StandInResponse {
    const manifest = this.manifestCodes.get(code);
    if (!manifest) return notFound();
    this.manifestCodes.delete(code);
    return json(201, manifestConversionBody(manifest, this.appId));
  }

  /**
   * Delivers a webhook as GitHub does: a new GUID (X-GitHub-Delivery), the body signed with the secret
   * (X-Hub-Signature-256, and the legacy X-Hub-Signature), POSTed with a 10 s timeout, the attempt recorded in the
   * delivery history. Resolves with the recorded attempt; it never rejects for the App's failures.
   */
  deliver(event: string, payload: Record<string, unknown> | string, options: DeliverOptions): Promise<StandInHookDelivery> {
    return this.webhooks.deliver(event, payload, options);
  }

  /** Sends delivery `id` again: the same GUID and body, recorded as a new attempt with `redelivery: true`. */
  redeliver(id: number): Promise<StandInHookDelivery> {
    return this.webhooks.redeliver(id);
  }

  /** Resolves once every delivery in flight (redeliveries queued through the API included) has been recorded. */
  async idle(): Promise<void> {
    await this.webhooks.idle();
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
          const bad = json(400, { message: "Problems parsing JSON" });
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
