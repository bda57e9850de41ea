// GitHub's side of a custom deployment protection rule: the `deployment_protection_rule` delivery, the callback
// that approves, rejects or comments, and artifact attestations (listed by the API, fetched from bundle_url).
import type { Octokit } from "@octokit/rest";
import snappy from "snappyjs";
import { z } from "zod";
import { AgentGateError, describeError } from "../../core/errors.js";
import { readBodyAtMost } from "../bounded-read.js";
import { DEPLOYMENT_COMMENT_MAX } from "../../render/deployment-comment.js";
import { nextCursor } from "./app-api.js";
import type { GitHubWrites } from "./facts-port.js";

/** GitHub's limit on a deployment review comment (the renderer keeps to it too). */
export const MAX_COMMENT = DEPLOYMENT_COMMENT_MAX;
export const MAX_STATUS_COMMENTS = 10;
/** A decoded bundle larger than this is refused (a real one is a few kilobytes). */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
/**
 * The most attestations of one artifact that are read and verified. GitHub's list is read whole (every page) up to
 * this many; an artifact with more is rejected (TOO_MANY_ATTESTATIONS), never judged on part of its list.
 */
export const MAX_ATTESTATIONS = 50;

const Sha = z.string().regex(/^[0-9a-f]{40}$/, "expected a 40-hex commit SHA");
const Login = z.object({ login: z.string(), id: z.number().int() });

const Payload = z.object({
  action: z.literal("requested"),
  environment: z.string().min(1),
  event: z.string().optional(),
  deployment_callback_url: z.string().min(1),
  deployment: z.object({
    id: z.number().int().positive(),
    sha: Sha,
    ref: z.string(),
    environment: z.string(),
    payload: z.union([z.record(z.string(), z.unknown()), z.string()]).nullable().optional(),
  }),
  pull_requests: z
    .array(z.object({ number: z.number().int(), user: Login.nullable(), head: z.object({ ref: z.string() }), labels: z.array(z.object({ name: z.string() })).default([]) }))
    .default([]),
  repository: z.object({ id: z.number().int(), name: z.string(), owner: z.object({ login: z.string() }), default_branch: z.string() }),
  installation: z.object({ id: z.number().int() }),
});

export interface DeploymentRequest {
  readonly owner: string;
  readonly repo: string;
  readonly repositoryId: number;
  readonly defaultBranch: string;
  readonly installationId: number;
  readonly environment: string;
  readonly deploymentId: number;
  readonly sha: string;
  readonly ref: string;
  /** The deployment's payload, parsed when GitHub sends it as a JSON string. */
  readonly payload: Record<string, unknown>;
  readonly runId: number;
  readonly pullRequests: readonly { number: number; user: { login: string; id: number } | null; headRef: string; labels: string[] }[];
}

/** Parses a `deployment_protection_rule.requested` delivery; a payload that lacks a field the gate uses is an error. */
export function parseDeploymentRequest(payload: unknown): DeploymentRequest {
  const r = Payload.safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", `deployment_protection_rule payload: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
  }
  const p = r.data;
  const owner = p.repository.owner.login;
  const repo = p.repository.name;
  let dp: unknown = p.deployment.payload ?? {};
  if (typeof dp === "string") {
    try {
      dp = dp.trim() === "" ? {} : (JSON.parse(dp) as unknown);
    } catch {
      throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", "the deployment payload is a string that is not JSON");
    }
  }
  if (dp === null || typeof dp !== "object" || Array.isArray(dp)) throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", "the deployment payload is not a JSON object");
  return {
    owner,
    repo,
    repositoryId: p.repository.id,
    defaultBranch: p.repository.default_branch,
    installationId: p.installation.id,
    environment: p.environment,
    deploymentId: p.deployment.id,
    sha: p.deployment.sha,
    ref: p.deployment.ref,
    payload: dp as Record<string, unknown>,
    runId: callbackRunId(p.deployment_callback_url, owner, repo),
    pullRequests: p.pull_requests.map((x) => ({ number: x.number, user: x.user, headRef: x.head.ref, labels: x.labels.map((l) => l.name) })),
  };
}

/**
 * The workflow run the callback URL names. The URL must be the REST route of this very repository: the App answers
 * through its own API client (and token), never by posting to a URL a payload chose.
 */
export function callbackRunId(url: string, owner: string, repo: string): number {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", "deployment_callback_url is not a URL");
  }
  const m = /^(?:\/api\/v3)?\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
  if (!m || decodeURIComponent(m[1]!).toLowerCase() !== owner.toLowerCase() || decodeURIComponent(m[2]!).toLowerCase() !== repo.toLowerCase()) {
    throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", `deployment_callback_url is not this repository's deployment protection rule callback: ${path.slice(0, 200)}`);
  }
  return Number(m[3]);
}

/** Cuts a comment to GitHub's limit, marking the cut. */
export function clampComment(text: string, max = MAX_COMMENT): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

type RequestOnly = Pick<Octokit, "request">;

/** Answers (with `state`) or comments on one deployment's protection rule, through the App's own client. */
export async function postDeploymentReview(octokit: RequestOnly, req: DeploymentRequest, body: { state?: "approved" | "rejected"; comment: string }): Promise<void> {
  const { owner, repo, runId, environment } = req;
  await octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", { owner, repo, run_id: runId, environment_name: environment, ...body });
}

/** Answers and comments on one deployment's protection rule; status comments stop at GitHub's limit of 10. */
export class DeploymentCallback {
  private comments = 0;

  constructor(
    private readonly github: Pick<GitHubWrites, "reviewDeployment">,
    private readonly req: DeploymentRequest,
  ) {}

  async progress(comment: string): Promise<void> {
    if (this.comments >= MAX_STATUS_COMMENTS) return;
    this.comments++;
    await this.github.reviewDeployment(this.req, { comment: clampComment(comment) });
  }

  async answer(state: "approved" | "rejected", comment: string): Promise<void> {
    await this.github.reviewDeployment(this.req, { state, comment: clampComment(comment) });
  }
}

const Approvals = z.array(
  z.object({ environments: z.array(z.object({ name: z.string() })), state: z.string(), user: z.object({ login: z.string(), id: z.number().int().positive(), type: z.string() }) }),
);

export interface Approver {
  readonly login: string;
  readonly id: number;
  readonly type: "User" | "Bot" | "Organization";
}

/** The people who approved this workflow run's deployment to the environment (GitHub's required reviewers). */
export async function fetchApprovals(octokit: RequestOnly, req: DeploymentRequest): Promise<Approver[]> {
  let data: unknown;
  try {
    data = (await octokit.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals", { owner: req.owner, repo: req.repo, run_id: req.runId })).data;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404) return [];
    throw new AgentGateError("APPROVALS_UNAVAILABLE", `the deployment's approvals could not be read: ${status ? `HTTP ${status}` : describeError(err)}`, "transient");
  }
  const parsed = Approvals.safeParse(data);
  if (!parsed.success) throw new AgentGateError("APPROVALS_UNAVAILABLE", "the deployment's approvals are not a list of reviews", "transient");
  const seen = new Set<number>();
  const out: Approver[] = [];
  for (const a of parsed.data) {
    if (a.state !== "approved" || !a.environments.some((e) => e.name === req.environment) || seen.has(a.user.id)) continue;
    seen.add(a.user.id);
    out.push({ login: a.user.login, id: a.user.id, type: a.user.type === "Bot" || a.user.type === "Organization" ? a.user.type : "User" });
  }
  return out;
}

const AttestationList = z.object({
  attestations: z.array(z.object({ bundle: z.unknown().optional(), bundle_url: z.string().optional(), repository_id: z.number().optional() })).default([]),
});

export interface FetchedAttestation {
  /** The bundle JSON, or why it could not be read (then it counts as an attestation that failed verification). */
  readonly bundle?: unknown;
  readonly problem?: string;
}

export interface AttestationSourceOptions {
  /** The fetch used for bundle_url: a plain one, never the App's authenticated client. */
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
  /** At most this many attestations of one artifact (default MAX_ATTESTATIONS); more rejects the deployment. */
  readonly maxAttestations?: number;
  /** Once aborted (the deployment was answered), no page or bundle is requested and those under way are cut off. */
  readonly signal?: AbortSignal;
}

/**
 * Lists an artifact's attestations, all of them, and reads each bundle: inline when the API still sends one, else
 * from bundle_url (no token; Snappy-compressed JSON). An API or download failure throws, and so does a list longer
 * than `maxAttestations`: the caller rejects.
 */
export async function fetchAttestations(octokit: RequestOnly, owner: string, repo: string, digest: string, opts: AttestationSourceOptions = {}): Promise<FetchedAttestation[]> {
  const out: FetchedAttestation[] = [];
  for (const a of await listAttestations(octokit, owner, repo, digest, opts.maxAttestations ?? MAX_ATTESTATIONS, opts.signal)) {
    opts.signal?.throwIfAborted();
    if (a.bundle !== undefined && a.bundle !== null) out.push({ bundle: a.bundle });
    else if (a.bundle_url) out.push(await downloadBundle(a.bundle_url, opts));
    else out.push({ problem: "the attestation has neither a bundle nor a bundle_url" });
  }
  return out;
}

type ListedAttestation = z.infer<typeof AttestationList>["attestations"][number];

/**
 * Every page of GitHub's list (cursor paging: the `after` of the Link header's rel="next"), or an error: a page that
 * fails, a next page without a cursor, an empty page or a repeated cursor that links a next one, or more than `max`
 * attestations. Each page read adds at least one, so at most max + 1 pages are read.
 */
async function listAttestations(octokit: RequestOnly, owner: string, repo: string, digest: string, max: number, signal?: AbortSignal): Promise<ListedAttestation[]> {
  const unavailable = (why: string): AgentGateError => new AgentGateError("ATTESTATIONS_UNAVAILABLE", `the attestation list of ${digest.slice(0, 19)}: ${why}`, "transient");
  const listed: ListedAttestation[] = [];
  const cursors = new Set<string>();
  let after: string | undefined;
  for (let page = 1; ; page++) {
    let res: { data: unknown; headers?: { link?: string } };
    signal?.throwIfAborted();
    try {
      res = await octokit.request("GET /repos/{owner}/{repo}/attestations/{subject_digest}", { owner, repo, subject_digest: digest, per_page: 100, ...(after !== undefined ? { after } : {}), ...(signal ? { request: { signal } } : {}) });
    } catch (err) {
      // Cut off because the deployment was answered: that answer's reason, not GitHub's failure.
      if (signal?.aborted) throw signal.reason as Error;
      const status = (err as { status?: number }).status;
      if (status === 404 && page === 1) return [];
      throw unavailable(`page ${page} did not answer: ${status ? `HTTP ${status}` : describeError(err)}`);
    }
    const list = AttestationList.safeParse(res.data);
    if (!list.success) throw unavailable(`page ${page} is not a list of attestations`);
    listed.push(...list.data.attestations);
    if (listed.length > max) {
      throw new AgentGateError("TOO_MANY_ATTESTATIONS", `GitHub lists more than ${max} attestations of artifact ${digest.slice(0, 19)} (${listed.length} read); agent-gate verifies at most ${max} per artifact and judges none on part of its list`);
    }
    const link = res.headers?.link;
    if (link === undefined || !/rel="next"/.test(link)) return listed;
    let next: string | undefined;
    try {
      next = nextCursor(link, "after");
    } catch {
      next = undefined;
    }
    if (next === undefined) throw unavailable(`page ${page} links a next page without an \`after\` cursor`);
    if (list.data.attestations.length === 0) throw unavailable(`page ${page} holds no attestations but links a next page`);
    if (cursors.has(next)) throw unavailable(`page ${page} links a cursor already read`);
    cursors.add(next);
    after = next;
  }
}

async function downloadBundle(url: string, opts: AttestationSourceOptions): Promise<FetchedAttestation> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { problem: "bundle_url is not a URL" };
  }
  const loopback = parsed.protocol === "http:" && (parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost");
  if (parsed.protocol !== "https:" && !loopback) return { problem: `bundle_url is not https: ${parsed.protocol}` };
  let bytes: Uint8Array;
  try {
    const deadline = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
    const res = await (opts.fetch ?? globalThis.fetch)(parsed, { signal: opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline, redirect: "follow" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    // Snappy's worst case for MAX_BUNDLE_BYTES of input: n + n/6 + 32 bytes.
    const read = await readBodyAtMost(res, MAX_BUNDLE_BYTES + Math.ceil(MAX_BUNDLE_BYTES / 6) + 32);
    if (read === undefined) return { problem: `the bundle at bundle_url is larger than a compressed ${MAX_BUNDLE_BYTES}-byte bundle can be` };
    bytes = read;
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason as Error;
    throw new AgentGateError("ATTESTATIONS_UNAVAILABLE", `an attestation bundle could not be downloaded: ${describeError(err)}`, "transient");
  }
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(snappy.uncompress(bytes, MAX_BUNDLE_BYTES));
  } catch (err) {
    return { problem: `the bundle at bundle_url is not Snappy-compressed JSON: ${describeError(err)}` };
  }
  try {
    return { bundle: JSON.parse(json) as unknown };
  } catch {
    return { problem: "the bundle at bundle_url is not JSON" };
  }
}
