// Check runs as the stand-in keeps them: created and updated as GitHub does (every write kept when asked), and
// listed for a commit with GitHub's filters.
import type { StandInCheckRun, StandInRepo } from "./model.js";
import { checkRunBody } from "./bodies.js";
import { clone, json, notFound, paginated, type StandInResponse } from "./http.js";

/**
 * GET /repos/{owner}/{repo}/commits/{ref}/check-runs: `check_name`, `filter` (default `latest`: the most recent run
 * of each name; `all`: every run), then `status`; newest first, paginated like GitHub (total_count counts all matches).
 */
export function listCheckRuns(checkRuns: readonly StandInCheckRun[], repo: StandInRepo, ref: string, url: URL, linkBase: string): StandInResponse {
  const q = url.searchParams;
  const name = q.get("check_name");
  const status = q.get("status");
  let runs = checkRuns.filter((r) => r.owner === repo.owner && r.repo === repo.name && r.head_sha === ref && (!name || r.name === name));
  if ((q.get("filter") ?? "latest") === "latest") {
    const latest = new Map<string, StandInCheckRun>();
    for (const r of runs) if ((latest.get(r.name)?.id ?? -Infinity) < r.id) latest.set(r.name, r);
    runs = runs.filter((r) => latest.get(r.name) === r);
  }
  // `status` applies to the runs `filter` kept: a name whose newest run is in progress has no "latest completed" run.
  runs = runs.filter((r) => !status || r.status === status).sort((a, b) => b.id - a.id);
  return paginated(runs.map((r) => checkRunBody(repo, r)), url, linkBase, (items) => ({ total_count: runs.length, check_runs: items }));
}

export function applyCheckRunWrite(r: StandInCheckRun, body: Record<string, unknown>, keepWrites: boolean): void {
  if (keepWrites) r.writes.push(clone(body));
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

export function createCheckRun(checkRuns: StandInCheckRun[], id: number, repo: StandInRepo, body: Record<string, unknown>, keepWrites: boolean): StandInResponse {
  const r: StandInCheckRun = {
    id, owner: repo.owner, repo: repo.name, head_sha: String(body.head_sha), name: String(body.name),
    status: "queued", conclusion: null, external_id: null, output: { title: null, summary: null, text: null, annotations_count: 0 },
    annotations: [], actions: [], started_at: null, completed_at: null, writes: [],
  };
  applyCheckRunWrite(r, body, keepWrites);
  checkRuns.push(r);
  return json(201, checkRunBody(repo, r));
}

export function updateCheckRun(checkRuns: readonly StandInCheckRun[], repo: StandInRepo, id: number, body: Record<string, unknown>, keepWrites: boolean): StandInResponse {
  const r = checkRuns.find((x) => x.id === id && x.owner === repo.owner && x.repo === repo.name);
  if (!r) return notFound();
  applyCheckRunWrite(r, body, keepWrites);
  return json(200, checkRunBody(repo, r));
}

/** A check run another App writes on a commit (a scenario's `tests`): its name, App and how it stands. */
export interface CheckRunSeed {
  readonly name: string;
  readonly headSha: string;
  readonly status: StandInCheckRun["status"];
  readonly conclusion?: string | null;
  readonly app: { readonly id: number; readonly slug: string };
  /** A re-run: a new run of the same name and App (a larger id), the earlier one kept. */
  readonly rerun?: boolean;
}

/**
 * Writes another App's check run as GitHub would hold it: the latest run of that name and App on the commit is
 * updated, or (none yet, or a re-run) a new one is added. Ids stay below agent-gate's own (1000 on), in order.
 */
export function seedCheckRun(checkRuns: StandInCheckRun[], repo: { owner: string; name: string }, seed: CheckRunSeed): StandInCheckRun {
  const same = checkRuns.filter((r) => r.owner === repo.owner && r.repo === repo.name && r.head_sha === seed.headSha && r.name === seed.name && r.app?.id === seed.app.id);
  let r = seed.rerun ? undefined : same.at(-1);
  if (!r) {
    const id = Math.max(99, ...checkRuns.filter((x) => x.id < 1000).map((x) => x.id)) + 1;
    r = {
      id, owner: repo.owner, repo: repo.name, head_sha: seed.headSha, name: seed.name, status: "queued", conclusion: null, external_id: null,
      output: { title: null, summary: null, text: null, annotations_count: 0 }, annotations: [], actions: [], started_at: null, completed_at: null, writes: [], app: { ...seed.app },
    };
    checkRuns.push(r);
  }
  r.status = seed.status;
  r.conclusion = seed.status === "completed" ? (seed.conclusion ?? null) : null;
  return r;
}

