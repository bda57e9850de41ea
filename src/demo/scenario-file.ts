// A scenario file as outside test suites write it (docs/scenarios.md): the GitHub state a stand-in serves, the
// deliveries to send, and optionally what each step must show. Pull-request scenarios have the shape of
// fixtures/scenarios/*.json; deployment scenarios that of one entry of fixtures/deployments/deployments.json, or the
// whole file. Every field is validated, and an error names the path of what is wrong and what was expected.
import { readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { AgentGateError } from "../core/errors.js";
import type { Scenario } from "./scenario.js";
import type { DeploymentScenario } from "./deployments.js";

/** A scenario file over this size is refused before it is parsed. */
export const SCENARIO_MAX_BYTES = 32 * 1024 * 1024;

const Sha = z.string().regex(/^[0-9a-f]{40}$/, "expected a 40-hex commit sha");
const Account = z.object({ login: z.string().min(1), id: z.number().int().positive(), type: z.enum(["User", "Bot", "Organization"]).optional() }).loose();
const Person = z.object({ name: z.string(), email: z.string(), date: z.string().optional(), account: Account.nullable().optional() }).loose();
const Commit = z.object({ sha: Sha, tree: Sha, message: z.string(), author: Person, committer: Person.optional(), parents: z.array(Sha).optional() }).loose();
const File = z
  .object({
    filename: z.string().min(1),
    status: z.enum(["added", "removed", "modified", "renamed"]).optional(),
    additions: z.number().int().nonnegative(),
    deletions: z.number().int().nonnegative(),
    previous_filename: z.string().optional(),
    patch: z.string().nullable().optional(),
  })
  .loose();
const Review = z.object({ id: z.number().int().optional(), user: Account, state: z.enum(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]), commit_id: Sha, submitted_at: z.string().optional(), body: z.string().optional() }).loose();
const Comment = z.object({ id: z.number().int().optional(), user: Account, body: z.string(), created_at: z.string().optional() }).loose();
const Pull = z
  .object({
    number: z.number().int().positive(),
    title: z.string(),
    body: z.string().nullable(),
    user: Account,
    state: z.enum(["open", "closed"]).optional(),
    draft: z.boolean().optional(),
    labels: z.array(z.string()).optional(),
    head: z.object({ ref: z.string().min(1), sha: Sha, repo: z.object({ owner: z.string(), name: z.string(), id: z.number().int() }).optional() }).loose(),
    base: z.object({ ref: z.string().min(1), sha: Sha }).loose(),
    commits: z.array(Commit),
    files: z.array(File),
    reviews: z.array(Review),
    comments: z.array(Comment),
  })
  .loose();
const Repo = z
  .object({
    owner: z.string().min(1),
    name: z.string().min(1),
    id: z.number().int().positive(),
    defaultBranch: z.string().min(1),
    private: z.boolean().optional(),
    files: z.record(z.string(), z.string()),
    pulls: z.array(Pull),
    collaborators: z.record(z.string(), z.enum(["admin", "maintain", "write", "triage", "read"])).optional(),
  })
  .loose();
const Expect = z
  .object({
    headSha: Sha,
    conclusion: z.enum(["success", "failure"]),
    titleIncludes: z.string().optional(),
    summaryIncludes: z.array(z.string()).optional(),
    summaryExcludes: z.array(z.string()).optional(),
  })
  .loose();
// Another App's check run on a commit (mutate.checkRuns: required checks), created or progressed before a delivery.
const CheckRunSeed = z.strictObject({
  name: z.string().min(1),
  headSha: Sha,
  status: z.enum(["queued", "in_progress", "completed"], { error: 'expected "queued", "in_progress" or "completed"' }),
  conclusion: z.string().min(1).nullable().optional(),
  app: z.strictObject({ id: z.number().int().positive(), slug: z.string().min(1) }),
  rerun: z.boolean().optional(),
});
const Step = z
  .object({
    event: z.string().regex(/^[a-z_]+\.[a-z_]+$/, "expected EVENT.ACTION, e.g. pull_request.opened"),
    deliveryId: z.string().min(1),
    payload: z.record(z.string(), z.unknown()),
    mutate: z.object({ pull: z.number().int().positive(), checkRuns: z.array(CheckRunSeed).optional() }).loose().optional(),
    expect: Expect.optional(),
  })
  .loose();

export const PullRequestScenarioFile = z
  .object({ name: z.string().min(1), title: z.string().default(""), description: z.string().default(""), repos: z.array(Repo).min(1), steps: z.array(Step).min(1), trustedRoot: z.record(z.string(), z.unknown()).optional() })
  .loose();

const DeploymentEntry = z
  .object({
    name: z.string().min(1),
    title: z.string().default(""),
    description: z.string().default(""),
    repo: Repo,
    prGate: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    expect: z.object({ state: z.enum(["approved", "rejected"]), commentIncludes: z.array(z.string()).default([]) }).optional(),
    trustedRoot: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const DeploymentSet = z.object({ trustedRoot: z.record(z.string(), z.unknown()).optional(), scenarios: z.array(DeploymentEntry).min(1) });

/** What a step must show, when the file says; an outside suite may leave it out and read the result. */
export type OpenStep = Omit<Scenario["steps"][number], "expect"> & { readonly expect?: Scenario["steps"][number]["expect"] };

export type ScenarioFile =
  | { readonly kind: "pull_request"; readonly scenario: Omit<Scenario, "steps"> & { readonly steps: OpenStep[] }; readonly trustedRoot?: unknown }
  | { readonly kind: "deployment"; readonly scenarios: (Omit<DeploymentScenario, "expect"> & { readonly expect?: DeploymentScenario["expect"] })[]; readonly trustedRoot?: unknown };

function problem(file: string, error: z.ZodError): AgentGateError {
  const where = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(file)"}: ${i.message}`)
    .join("; ");
  return new AgentGateError("SCENARIO_INVALID", `${file} is not a scenario (docs/scenarios.md): ${where}`);
}

/** Reads and validates a scenario file of either kind. */
export function readScenarioFile(file: string): ScenarioFile {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new AgentGateError("SCENARIO_INVALID", `${file}: no such file; expected a scenario JSON file (docs/scenarios.md)`);
  }
  if (size > SCENARIO_MAX_BYTES) throw new AgentGateError("SCENARIO_INVALID", `${file} is ${size} bytes; expected at most ${SCENARIO_MAX_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AgentGateError("SCENARIO_INVALID", `${file} is not JSON: ${(err as Error).message}`);
  }
  const kind = typeof raw === "object" && raw !== null ? ("repos" in raw ? "pull_request" : "scenarios" in raw || "payload" in raw ? "deployment" : undefined) : undefined;
  if (kind === "pull_request") {
    const r = PullRequestScenarioFile.safeParse(raw);
    if (!r.success) throw problem(file, r.error);
    const { trustedRoot, ...scenario } = r.data;
    return { kind, scenario: scenario as unknown as Extract<ScenarioFile, { kind: "pull_request" }>["scenario"], ...(trustedRoot ? { trustedRoot } : {}) };
  }
  if (kind === "deployment") {
    const set = "scenarios" in (raw as object) ? DeploymentSet.safeParse(raw) : DeploymentEntry.safeParse(raw);
    if (!set.success) throw problem(file, set.error);
    const data = set.data;
    const scenarios = "scenarios" in data ? data.scenarios : [data];
    const trustedRoot = data.trustedRoot;
    return { kind, scenarios: scenarios as Extract<ScenarioFile, { kind: "deployment" }>["scenarios"], ...(trustedRoot ? { trustedRoot } : {}) };
  }
  throw new AgentGateError("SCENARIO_INVALID", `${file} is not a scenario: expected an object with "repos" and "steps" (a pull-request scenario) or "repo" and "payload" (a deployment scenario, or "scenarios" holding several)`);
}
