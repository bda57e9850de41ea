// Whether an owner's `.github` repository that reads as missing is missing. GitHub answers a private repository the
// token cannot read exactly as one that does not exist (REST 404, GraphQL NOT_FOUND): an App installed on "selected
// repositories" without `.github` (or after it was removed from the installation) would read the organisation's
// config and revocation list as absent, and judge by the default config with nothing revoked. So a `.github` that
// reads as missing counts as missing only when
//   - the installation covers every repository of its owner (repository_selection "all": then nothing is hidden), or
//   - the installation lists `<owner>/.github` (then the repository is readable, and only a file in it is missing), or
//   - the operator declared that the owner has no `.github` repository (AGENT_GATE_OWNERS_WITHOUT_ORG_REPO).
// Otherwise the evaluation fails closed with ORG_REPO_UNCONFIRMED, naming both fixes.
//
// What the installation covers is read from GET /installation/repositories (its first page says the selection; a
// selection is read page by page until `.github` is found or the list ends, complete or refused), and remembered per
// owner for SCOPE_TTL_MS, forgotten at once when GitHub sends an installation or installation_repositories event for
// the owner (src/index.ts): an ordinary event makes no request for it. A read that contradicts the remembered answer
// (GraphQL finds no `.github` that the installation was said to list) asks again before it is believed.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import { LruCache } from "../lru.js";
import { isTransientGitHubError } from "./errors.js";

type Api = Pick<Octokit, "request">;

/** The owner's repository of organisation-wide files (docs/revocation.md). */
export const ORG_REPO = ".github";
/** The setting that declares owners without one. */
export const OWNERS_WITHOUT_ORG_REPO = "AGENT_GATE_OWNERS_WITHOUT_ORG_REPO";
/** How long what an installation covers is believed without asking again (when no installation event said it changed). */
export const SCOPE_TTL_MS = 5 * 60_000;
/** Pages (of 100) of a selection read to find `.github`: past them the answer is refused, never guessed. */
export const SCOPE_MAX_PAGES = 100;

/**
 * How a `.github` file read as missing: "repository" when GitHub said the repository itself is not found (GraphQL
 * NOT_FOUND on it), "unknown" when the answer does not tell the repository from the file (a REST 404).
 */
export type Unseen = "repository" | "unknown";

interface Reach {
  /** The installation covers every repository of the owner. */
  readonly all: boolean;
  /** `<owner>/.github` is among the installation's repositories (true with `all`). */
  readonly listed: boolean;
}

interface Pending {
  readonly promise: Promise<Reach>;
  readonly generation: number;
}

const Page = z.object({
  total_count: z.number().int().nonnegative(),
  // Optional in GitHub's description: without it nothing says "all", so the list decides.
  repository_selection: z.string().optional(),
  repositories: z.array(z.object({ name: z.string(), owner: z.object({ login: z.string() }) })),
});

export interface OrgRepoScopeOptions {
  /** Owners (logins) the operator declared to have no `.github` repository: a missing one is missing, unasked. */
  readonly ownersWithout?: Iterable<string>;
  readonly ttlMs?: number;
  readonly maxPages?: number;
  readonly now?: () => number;
}

export class OrgRepoScope {
  private readonly declared: ReadonlySet<string>;
  private readonly ttlMs: number;
  private readonly maxPages: number;
  private readonly now: () => number;
  // Bounded: one entry per owner the App is installed on.
  private readonly known = new LruCache<string, { reach: Reach; at: number }>(10_000);
  // Reads running, by client (a job attempt's client ends with its deadline: another job never waits on it) and owner.
  private readonly pending = new WeakMap<Api, Map<string, Pending>>();
  /** Bumped by forget(): a read begun before an installation event is not remembered after it. */
  private generation = 0;

  constructor(opts: OrgRepoScopeOptions = {}) {
    this.declared = new Set([...(opts.ownersWithout ?? [])].map((o) => o.toLowerCase()));
    this.ttlMs = opts.ttlMs ?? SCOPE_TTL_MS;
    this.maxPages = opts.maxPages ?? SCOPE_MAX_PAGES;
    this.now = opts.now ?? Date.now;
  }

  /** Whether the operator declared `owner` to have no `.github` repository. */
  declaredWithout(owner: string): boolean {
    return this.declared.has(owner.toLowerCase());
  }

  /**
   * Resolves when a file of `<owner>/.github` that read as missing (`unseen`) is missing; throws ORG_REPO_UNCONFIRMED
   * when GitHub may be hiding the repository from the installation. `octokit` is the installation's client.
   */
  async confirmMissing(octokit: Api, owner: string, unseen: Unseen): Promise<void> {
    if (this.declaredWithout(owner)) return;
    const key = owner.toLowerCase();
    const remembered = this.remembered(key);
    let reach = remembered ?? (await this.read(octokit, owner));
    // The installation was said to list `.github`, yet GitHub found no such repository: removed since (an event not
    // seen by this process, or not yet): asked again before anything is believed.
    if (unseen === "repository" && !reach.all && reach.listed && remembered) {
      this.forget(owner);
      reach = await this.read(octokit, owner);
    }
    if (reach.all) return;
    if (reach.listed) {
      if (unseen === "unknown") return; // the repository is readable: it is the file that is missing
      throw new AgentGateError("ORG_REPO_UNCONFIRMED", `GitHub lists ${owner}/${ORG_REPO} among the repositories agent-gate is installed on, yet answered that it does not exist (changed meanwhile?); the evaluation is retried`, "transient");
    }
    throw new AgentGateError(
      "ORG_REPO_UNCONFIRMED",
      `${owner}/${ORG_REPO} (the organisation's agent-gate config and revocation list) reads as missing, but agent-gate is installed on selected repositories of ${owner} without it, and GitHub answers a private repository outside the installation exactly as one that does not exist: install agent-gate on ${owner}/${ORG_REPO} (or on all repositories of ${owner}), or declare that ${owner} has no ${ORG_REPO} repository with ${OWNERS_WITHOUT_ORG_REPO}=${owner}`,
    );
  }

  /** Forgets what was read of the owner's installation (an installation or installation_repositories event). */
  forget(owner: string): void {
    this.generation++;
    this.known.delete(owner.toLowerCase());
  }

  private remembered(key: string): Reach | undefined {
    const entry = this.known.get(key);
    return entry && this.now() - entry.at < this.ttlMs ? entry.reach : undefined;
  }

  /** One read per client and owner at a time; remembered unless an installation event came while it ran. */
  private read(octokit: Api, owner: string): Promise<Reach> {
    const key = owner.toLowerCase();
    let pending = this.pending.get(octokit);
    if (!pending) this.pending.set(octokit, (pending = new Map<string, Pending>()));
    const running = pending.get(key);
    if (running && running.generation === this.generation) return running.promise;
    const generation = this.generation;
    const at = this.now();
    const promise = readReach(octokit, owner, this.maxPages).then((reach) => {
      if (this.generation === generation) this.known.set(key, { reach, at });
      return reach;
    });
    pending.set(key, { promise, generation });
    const done = (): void => {
      if (pending.get(key)?.promise === promise) pending.delete(key);
    };
    promise.then(done, done);
    return promise;
  }
}

/** What the installation behind `octokit` covers of `owner`: GET /installation/repositories, complete or refused. */
async function readReach(octokit: Api, owner: string, maxPages: number): Promise<Reach> {
  const name = `${owner}/${ORG_REPO}`.toLowerCase();
  let seen = 0;
  for (let page = 1; ; page++) {
    let data: unknown;
    try {
      data = (await octokit.request("GET /installation/repositories", { per_page: 100, page })).data;
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      // Not an installation's token (a person's, in the CLI): it cannot say what it covers. (A rate limit is retried.)
      if ((status === 401 || status === 403 || status === 404) && !isTransientGitHubError(err)) {
        throw new AgentGateError("ORG_REPO_UNCONFIRMED", `${name} reads as missing, and GET /installation/repositories answered HTTP ${status}, so agent-gate cannot tell whether it is missing or hidden from this token (is it an installation's?): use a token that can read ${name}, or declare that ${owner} has no ${ORG_REPO} repository with ${OWNERS_WITHOUT_ORG_REPO}=${owner}`, "invalid-input", { cause: err });
      }
      throw err;
    }
    const parsed = Page.safeParse(data);
    if (!parsed.success) {
      throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GET /installation/repositories: expected {total_count, repository_selection, repositories: [{name, owner: {login}}]}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`, "transient");
    }
    const body = parsed.data;
    if (body.repository_selection === "all") return { all: true, listed: true };
    if (body.repositories.some((r) => `${r.owner.login}/${r.name}`.toLowerCase() === name)) return { all: false, listed: true };
    seen += body.repositories.length;
    if (seen >= body.total_count) return { all: false, listed: false };
    if (body.repositories.length === 0) {
      throw new AgentGateError("ORG_REPO_UNCONFIRMED", `GET /installation/repositories ended after ${seen} of the ${body.total_count} repositories it counts, without ${name}; the evaluation is retried`, "transient");
    }
    if (page >= maxPages) {
      throw new AgentGateError("ORG_REPO_UNCONFIRMED", `${name} reads as missing, and agent-gate is installed on ${body.total_count} selected repositories of ${owner}, more than the ${maxPages * 100} it reads to find ${name}: install agent-gate on ${name} (or on all repositories of ${owner}), or declare that ${owner} has no ${ORG_REPO} repository with ${OWNERS_WITHOUT_ORG_REPO}=${owner}`);
    }
  }
}
