// Webhook deliveries -> evaluation triggers. Every field used is parsed with zod; a payload that lacks one is an
// error that names it (the delivery is then answered, logged and never silently treated as a pass).
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";
import { REEVALUATE_IDENTIFIER } from "../../core/conclusion.js";
import { carriesProvenance } from "../../core/provenance-block.js";
import { LIMITS } from "./pull-request-source.js";

export const PR_ACTIONS = ["opened", "synchronize", "reopened", "edited", "labeled", "unlabeled", "ready_for_review", "converted_to_draft", "closed"] as const;
export const REVIEW_ACTIONS = ["submitted", "dismissed"] as const;
export const COMMENT_ACTIONS = ["created", "edited", "deleted"] as const;
/**
 * A comment created or deleted moves the pull request's count of comments by one; from this many on (the gate lists
 * LIMITS.comments, and counts may lag each other by a few), the count can decide the list's completeness.
 */
export const COMMENT_COUNT_WATCHED = LIMITS.comments - 10;

/** Another App's check run that started or completed: its name and, when GitHub says, its App. */
export interface CompletedCheck {
  readonly name: string;
  readonly appId?: number;
  readonly appSlug?: string;
}

export interface PullRequestTrigger {
  readonly kind: "pull_request";
  readonly event: string; // e.g. "pull_request.synchronize"
  readonly owner: string;
  readonly repo: string;
  readonly installationId: number;
  /** The head commit the evaluation is bound to; `undefined` when only the PR number is known. */
  readonly headSha: string | undefined;
  readonly pullNumbers: readonly number[];
  /** Check run to update in place (re-request / requested action). */
  readonly checkRunId?: number;
  /**
   * check_run.created or .completed of another App: its check (re-evaluated only where a required check matches). A
   * re-run is a new run (created, queued): the pull request waits for it again. The name stays for queued jobs.
   */
  readonly completedCheck?: CompletedCheck;
  /**
   * More checks whose check_run deliveries were folded into this trigger's job while it waited (app/fold.ts): the
   * pull requests are judged again when the config requires any of them. Only beside completedCheck.
   */
  readonly foldedChecks?: readonly CompletedCheck[];
  /**
   * A head commit the pull request left (its head before a push, or its head when it closed): every open pull request
   * that still heads it is judged there again without it (its verdict may have been what made the commit pass).
   */
  readonly leftHead?: string;
  /** pull_request.edited that changed the base branch: the commits and files judged change with it (never folded). */
  readonly retargeted?: true;
}

export interface MergeGroupTrigger {
  readonly kind: "merge_group";
  readonly event: string;
  readonly owner: string;
  readonly repo: string;
  readonly installationId: number;
  readonly headSha: string;
  readonly headRef: string;
  readonly pullNumbers: readonly number[];
}

export type Trigger = PullRequestTrigger | MergeGroupTrigger;

const Sha = z.string().regex(/^[0-9a-f]{40}$/, "expected a 40-hex commit SHA");
const Repo = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });
const Installation = z.object({ id: z.number().int() });
const PrRef = z.object({ number: z.number().int(), head: z.object({ sha: Sha }) });

const Payloads = {
  pull_request: z.object({ action: z.string(), repository: Repo, installation: Installation, pull_request: PrRef, before: Sha.optional(), changes: z.object({ base: z.unknown().optional() }).optional() }),
  pull_request_review: z.object({ action: z.string(), repository: Repo, installation: Installation, pull_request: PrRef }),
  check_suite: z.object({
    action: z.string(),
    repository: Repo,
    installation: Installation,
    check_suite: z.object({ head_sha: Sha, pull_requests: z.array(z.object({ number: z.number().int() })) }),
  }),
  check_run: z.object({
    action: z.string(),
    repository: Repo,
    installation: Installation,
    requested_action: z.object({ identifier: z.string() }).optional().nullable(),
    check_run: z.object({
      id: z.number().int(),
      name: z.string(),
      head_sha: Sha,
      pull_requests: z.array(z.object({ number: z.number().int() })),
      app: z.object({ id: z.number().int(), slug: z.string().optional() }).nullable().optional(),
    }),
  }),
  issue_comment: z.object({
    action: z.string(),
    repository: Repo,
    installation: Installation,
    issue: z.object({ number: z.number().int(), pull_request: z.unknown().optional(), comments: z.number().int().optional() }),
    comment: z.object({ body: z.string().nullable().optional() }),
    changes: z.object({ body: z.object({ from: z.string().nullable() }).optional() }).optional(),
  }),
  merge_group: z.object({
    action: z.string(),
    repository: Repo,
    installation: Installation,
    merge_group: z.object({ head_sha: Sha, head_ref: z.string() }),
  }),
};

function parse<T>(schema: z.ZodType<T>, event: string, payload: unknown): T {
  const r = schema.safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AgentGateError("WEBHOOK_PAYLOAD_INVALID", `${event} payload: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
  }
  return r.data;
}

/** The PR numbers a merge-queue branch names: refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>. */
export function mergeQueuePullNumbers(headRef: string): number[] {
  return [...headRef.matchAll(/\/pr-(\d+)-[0-9a-f]{40}/g)].map((m) => Number(m[1]));
}

/**
 * Whether a comment's creation, edit or deletion can change what its pull request is judged by (app/snapshot-facts.ts):
 * its provenance blocks, when the body it has or had holds an opener of one (read, they are bundles, or problems
 * reported for what could not be read; a text without an opener yields neither), or the pull request's count of
 * comments near the limit the gate lists (a list cut short denies an agent's pull request). Nothing else of a comment
 * is read. An edit whose old body GitHub left out, or a count it left out, re-judges.
 */
export function commentChangesFacts(p: z.infer<typeof Payloads.issue_comment>): boolean {
  if (carriesProvenance(p.comment.body ?? "")) return true;
  if (p.action === "edited") return p.changes?.body === undefined || carriesProvenance(p.changes.body.from ?? "");
  return p.issue.comments === undefined || p.issue.comments >= COMMENT_COUNT_WATCHED;
}

/**
 * Returns the trigger for a delivery, or `null` for events and actions the gate ignores. `appId` is the App's own id:
 * a check run it wrote never triggers anything when it is created or completes (nor does one of its name), so the
 * gate cannot loop.
 */
export function toTrigger(name: string, payload: unknown, checkName: string, appId?: number): Trigger | null {
  const action = (payload as { action?: unknown } | null)?.action;
  const event = `${name}.${String(action)}`;
  switch (name) {
    case "pull_request": {
      if (!(PR_ACTIONS as readonly unknown[]).includes(action)) return null;
      const p = parse(Payloads.pull_request, event, payload);
      const base = { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id } as const;
      // Closed (merged or not): the pull request leaves its head; only the open ones still heading it are judged again.
      if (action === "closed") return { ...base, headSha: p.pull_request.head.sha, pullNumbers: [], leftHead: p.pull_request.head.sha };
      // A push: the new head is judged, and the head it left, should another open pull request still head it.
      const left = action === "synchronize" && p.before !== undefined && p.before !== p.pull_request.head.sha ? { leftHead: p.before } : {};
      const retargeted = action === "edited" && p.changes?.base !== undefined ? { retargeted: true as const } : {};
      return { ...base, headSha: p.pull_request.head.sha, pullNumbers: [p.pull_request.number], ...left, ...retargeted };
    }
    case "pull_request_review": {
      if (!(REVIEW_ACTIONS as readonly unknown[]).includes(action)) return null;
      const p = parse(Payloads.pull_request_review, event, payload);
      return { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: p.pull_request.head.sha, pullNumbers: [p.pull_request.number] };
    }
    case "check_suite": {
      if (action !== "requested" && action !== "rerequested") return null;
      const p = parse(Payloads.check_suite, event, payload);
      // A new head on a PR of this repository already arrives as pull_request.opened/synchronize; only forks'
      // suites (which name no PR) and explicit re-requests need evaluating from here.
      if (action === "requested" && p.check_suite.pull_requests.length > 0) return null;
      return { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: p.check_suite.head_sha, pullNumbers: p.check_suite.pull_requests.map((x) => x.number) };
    }
    case "check_run": {
      const p = parse(Payloads.check_run, event, payload);
      if (action === "completed" || action === "created") {
        // Another check started (a re-run is a new run, queued) or finished (required checks): the open pull requests
        // this commit heads are judged again, found by the commit (the payload's list leaves out forks). agent-gate's
        // own runs are never a trigger. GitHub sends rerequested only to the App whose run it is: ours, below.
        const app = p.check_run.app;
        if (p.check_run.name === checkName || (appId !== undefined && app?.id === appId)) return null;
        const completedCheck = { name: p.check_run.name, ...(app ? { appId: app.id, ...(app.slug !== undefined ? { appSlug: app.slug } : {}) } : {}) };
        return { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: p.check_run.head_sha, pullNumbers: [], completedCheck };
      }
      if (p.check_run.name !== checkName) return null;
      if (action === "requested_action" && p.requested_action?.identifier !== REEVALUATE_IDENTIFIER) return null;
      if (action !== "rerequested" && action !== "requested_action") return null;
      return { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: p.check_run.head_sha, pullNumbers: p.check_run.pull_requests.map((x) => x.number), checkRunId: p.check_run.id };
    }
    case "issue_comment": {
      if (!(COMMENT_ACTIONS as readonly unknown[]).includes(action)) return null;
      const p = parse(Payloads.issue_comment, event, payload);
      // A comment on an issue (no pull_request in it), or one that changes nothing the pull request is judged by.
      if (p.issue.pull_request === undefined || p.issue.pull_request === null || !commentChangesFacts(p)) return null;
      // The payload names no head: the pull request is read when the job runs, and judged at the head it has then.
      return { kind: "pull_request", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: undefined, pullNumbers: [p.issue.number] };
    }
    case "merge_group": {
      if (action !== "checks_requested") return null;
      const p = parse(Payloads.merge_group, event, payload);
      return { kind: "merge_group", event, owner: p.repository.owner.login, repo: p.repository.name, installationId: p.installation.id, headSha: p.merge_group.head_sha, headRef: p.merge_group.head_ref, pullNumbers: mergeQueuePullNumbers(p.merge_group.head_ref) };
    }
    default:
      return null;
  }
}
