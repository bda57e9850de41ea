// An in-memory GitHub that answers the REST calls agent-gate makes, with bodies built from GitHub's own examples.
// Used by the demo, the benchmarks and the end-to-end tests (which also validate every exchange against the REST
// description). It serves over a fetch function (in-process) or a loopback HTTP server.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import snappy from "snappyjs";
import type { Account, RecordedRequest, StandInCheckRun, StandInCommit, StandInDeploymentReview, StandInPull, StandInRepo } from "./model.js";
import templates from "./templates.js";

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
}
export type Fault = (req: StandInRequest) => StandInResponse | "drop" | undefined;

const API = "https://api.github.com";
const BUNDLE_PATH = "_attestation-bundles";
const clone = <T>(v: T): T => structuredClone(v);

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
  private nextId = 1000;
  private server: Server | undefined;

  constructor(readonly repos: StandInRepo[]) {}

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

  /** Requests recorded since `mark` (an index into `requests`). */
  since(mark: number): RecordedRequest[] {
    return this.requests.slice(mark);
  }

  handle(req: StandInRequest): StandInResponse | "drop" {
    for (const fault of this.faults) {
      const injected = fault(req);
      if (injected) {
        if (injected !== "drop") this.record(req, injected.status);
        return injected;
      }
    }
    const res = this.route(req);
    this.record(req, res.status);
    return res;
  }

  private record(req: StandInRequest, status: number): void {
    const path = req.url.split("?")[0] ?? req.url;
    const write = req.method !== "GET" && req.method !== "HEAD" && !path.endsWith("/access_tokens");
    this.requests.push({ method: req.method, path, status, write });
  }

  private json(status: number, body: unknown, headers: Record<string, string> = {}): StandInResponse {
    return { status, headers: { "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4999", "x-ratelimit-limit": "5000", ...headers }, body };
  }

  private notFound(): StandInResponse {
    return this.json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  private route(req: StandInRequest): StandInResponse {
    const url = new URL(req.url, API);
    const p = url.pathname.split("/").map(decodeURIComponent);
    const m = req.method.toUpperCase();
    if (m === "POST" && p[1] === "app" && p[2] === "installations" && p[4] === "access_tokens") {
      return this.json(201, { ...clone(templates.installationToken), expires_at: new Date(Date.now() + 3600_000).toISOString() });
    }
    if (m === "GET" && p[1] === BUNDLE_PATH && p[2] && p[3] && p[4]) return this.attestationBundle(p[2], p[3], Number(p[4]));
    if (p[1] !== "repos" || !p[2] || !p[3]) return this.notFound();
    const repo = this.repo(p[2], p[3]);
    if (!repo) return this.notFound();
    const rest = p.slice(4);
    if (m === "GET" && rest[0] === "contents") return this.contents(repo, rest.slice(1).join("/"), url, req);
    if (rest[0] === "pulls" && rest[1]) {
      const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
      if (!pull) return this.notFound();
      const page = Number(url.searchParams.get("page") ?? 1);
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      const paged = <T>(items: T[]): StandInResponse => this.paginated(items, page, perPage, url);
      if (m === "GET" && rest.length === 2) return this.json(200, this.pullBody(repo, pull));
      if (m === "GET" && rest[2] === "commits") return paged(pull.commits.map((c) => this.commitBody(repo, c)));
      if (m === "GET" && rest[2] === "files") return paged(pull.files.map((f) => ({ ...clone(templates.file), sha: "0".repeat(40), filename: f.filename, status: f.status ?? "modified", additions: f.additions, deletions: f.deletions, changes: f.additions + f.deletions })));
      if (m === "GET" && rest[2] === "reviews") {
        return paged(pull.reviews.map((r, i) => ({ ...clone(templates.review), id: r.id ?? i + 1, user: user(r.user), state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at ?? "2026-11-26T06:00:00Z", body: r.body ?? "" })));
      }
    }
    if (m === "GET" && rest[0] === "issues" && rest[2] === "comments") {
      const pull = repo.pulls.find((x) => x.number === Number(rest[1]));
      if (!pull) return this.notFound();
      const page = Number(url.searchParams.get("page") ?? 1);
      const perPage = Number(url.searchParams.get("per_page") ?? 30);
      return this.paginated(pull.comments.map((c, i) => ({ ...clone(templates.comment), id: c.id ?? i + 1, user: user(c.user), body: c.body, created_at: c.created_at ?? "2026-11-26T06:00:00Z" })), page, perPage, url);
    }
    if (m === "GET" && rest[0] === "commits" && rest[2] === "pulls") {
      const sha = rest[1];
      return this.json(200, repo.pulls.filter((x) => x.head.sha === sha || x.merged?.commitSha === sha).map((x) => this.pullBody(repo, x)));
    }
    if (m === "GET" && rest[0] === "commits" && rest[2] === "check-runs") {
      const runs = this.checkRuns.filter((r) => r.owner === repo.owner && r.repo === repo.name && r.head_sha === rest[1] && (!url.searchParams.get("check_name") || r.name === url.searchParams.get("check_name")));
      return this.json(200, { total_count: runs.length, check_runs: runs.map((r) => this.checkRunBody(repo, r)) });
    }
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

  private paginated(items: unknown[], page: number, perPage: number, url: URL): StandInResponse {
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) {
      const next = new URL(url.toString());
      next.searchParams.set("page", String(page + 1));
      const lastUrl = new URL(url.toString());
      lastUrl.searchParams.set("page", String(last));
      headers.link = `<${next.toString()}>; rel="next", <${lastUrl.toString()}>; rel="last"`;
    }
    return this.json(200, items.slice((page - 1) * perPage, page * perPage), headers);
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
      labels: (pull.labels ?? []).map((name, i) => ({ id: i + 1, node_id: `L_${i}`, url: `${API}/repos/${repo.owner}/${repo.name}/labels/${name}`, name, description: null, color: "ededed", default: false })),
      head: { ...t.head, ref: pull.head.ref, sha: pull.head.sha, label: `${headRepo.owner}:${pull.head.ref}`, user: user({ login: headRepo.owner, id: headRepo.id + 1 }), repo: repoBody(headRepo.owner, headRepo.name, headRepo.id) },
      base: { ...t.base, ref: pull.base.ref, sha: pull.base.sha, label: `${repo.owner}:${pull.base.ref}`, user: user({ login: repo.owner, id: repo.id + 1 }), repo: repoBody(repo.owner, repo.name, repo.id) },
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
    const res = this.handle({ method: request.method, url: url.pathname + url.search, headers, body: text ? (JSON.parse(text) as unknown) : undefined });
    if (res === "drop") throw new TypeError("fetch failed: connection reset by the GitHub stand-in");
    const payload = res.body === undefined ? null : res.body instanceof Uint8Array ? res.body : JSON.stringify(res.body);
    return new Response(res.status === 304 ? null : payload, { status: res.status, headers: res.headers });
  };

  /** Serves the stand-in on loopback; resolves to its base URL. */
  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        let result: StandInResponse | "drop";
        try {
          result = this.handle({ method: req.method ?? "GET", url: req.url ?? "/", headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        } catch {
          result = this.json(400, { message: "Problems parsing JSON" });
        }
        if (result === "drop") {
          req.socket.destroy();
          return;
        }
        res.writeHead(result.status, result.headers);
        res.end(result.body === undefined ? undefined : result.body instanceof Uint8Array ? result.body : JSON.stringify(result.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.bundleBase = base;
    return base;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
