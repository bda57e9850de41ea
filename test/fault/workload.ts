// A deterministic workload for the fault-injection harness and the load benchmark: repositories, pull requests
// and, per pull request, a sequence of steps (a change to GitHub's state, then the webhook GitHub would send).
import { createHash } from "node:crypto";
import type { StandInCommit, StandInPull, StandInRepo } from "../../src/demo/github/model.js";
import { mulberry32 } from "../../src/demo/github/faults.js";

export const INSTALLATION_ID = 77;

export interface Step {
  readonly event: string; // e.g. "pull_request.synchronize"
  /** Applies the change to the stand-in's state (the pull request object is the stand-in's own). */
  readonly mutate?: (pull: StandInPull) => void;
}

export interface PullPlan {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  readonly steps: Step[];
}

export interface Workload {
  readonly repos: StandInRepo[];
  readonly pulls: PullPlan[];
  readonly events: number;
}

const GOOD_CONFIG = `version: 1
rules:
  human_approval:
    count: 1
`;
const BROKEN_CONFIG = `version: 1
rules:
  human_approval:
    count: "one"
`;

const hex = (s: string): string => createHash("sha1").update(s).digest("hex");
const HUMANS = [
  { login: "alice", id: 5001, type: "User" as const },
  { login: "bob", id: 5002, type: "User" as const },
  { login: "carol", id: 5003, type: "User" as const },
];
const AGENT = { login: "claude[bot]", id: 209825114, type: "Bot" as const };

function commit(seed: string, agent: boolean, parent: string | undefined): StandInCommit {
  const who = agent ? { name: "Claude", email: "noreply@anthropic.com", account: AGENT } : { name: "Alice", email: "alice@fleet.example", account: HUMANS[0]! };
  return { sha: hex(`commit ${seed}`), tree: hex(`tree ${seed}`), message: `${seed}\n`, author: { ...who, date: "2026-11-20T09:58:00Z" }, ...(parent ? { parents: [parent] } : {}) };
}

/**
 * `prs` pull requests over repositories of 10 each (one repository has a broken config), `eventsPerPr` steps
 * each: opened, then edits, labels, reviews and pushes chosen by a seeded generator.
 */
export function makeWorkload(opts: { prs: number; eventsPerPr: number; seed: number }): Workload {
  const rnd = mulberry32(opts.seed);
  const repos: StandInRepo[] = [];
  const pulls: PullPlan[] = [];
  const repoCount = Math.max(1, Math.ceil(opts.prs / 10));
  for (let r = 0; r < repoCount; r++) {
    // bob maintains every repository; carol only reads them, so her approvals never count.
    repos.push({ owner: "fleet", name: `service-${r}`, id: 900_000 + r, defaultBranch: "main", collaborators: { alice: "write", bob: "write" }, files: { ".github/agent-gate.yml": r === 1 ? BROKEN_CONFIG : GOOD_CONFIG }, pulls: [] });
  }
  let events = 0;
  for (let i = 0; i < opts.prs; i++) {
    const repo = repos[i % repoCount]!;
    const number = Math.floor(i / repoCount) + 1;
    const agent = i % 3 !== 0;
    const base = hex(`base ${repo.name}`);
    const first = commit(`${opts.seed}/${repo.name}/${number}/0`, agent, base);
    const pull: StandInPull = {
      number,
      title: agent ? `Agent change ${number}` : `Human change ${number}`,
      body: agent ? "Generated with Claude Code" : "A human change.",
      user: agent ? AGENT : HUMANS[0]!,
      head: { ref: agent ? `claude/change-${number}` : `change-${number}`, sha: first.sha },
      base: { ref: "main", sha: base },
      commits: [first],
      files: [{ filename: i % 7 === 0 ? ".github/workflows/ci.yml" : `src/module-${i}.ts`, additions: 10 + i, deletions: 2 }],
      reviews: [],
      comments: [],
      labels: [],
    };
    repo.pulls.push(pull);
    const steps: Step[] = [{ event: "pull_request.opened" }];
    let pushes = 0;
    for (let k = 1; k < opts.eventsPerPr; k++) {
      const x = rnd();
      if (x < 0.15) {
        pushes++;
        const seed = `${opts.seed}/${repo.name}/${number}/${pushes}`;
        steps.push({
          event: "pull_request.synchronize",
          mutate: (p) => {
            const c = commit(seed, agent, p.head.sha);
            p.commits = [...p.commits, c];
            p.head.sha = c.sha;
          },
        });
      } else if (x < 0.35) {
        const reviewer = HUMANS[1 + Math.floor(rnd() * 2)]!;
        const state = rnd() < 0.7 ? ("APPROVED" as const) : ("CHANGES_REQUESTED" as const);
        steps.push({ event: "pull_request_review.submitted", mutate: (p) => void p.reviews.push({ id: p.reviews.length + 1 + number * 1000, user: reviewer, state, commit_id: p.head.sha }) });
      } else if (x < 0.5) {
        steps.push({ event: "pull_request.labeled", mutate: (p) => void (p.labels = [...(p.labels ?? []), `label-${k}`]) });
      } else {
        steps.push({ event: "pull_request.edited" });
      }
    }
    events += steps.length;
    pulls.push({ owner: repo.owner, repo: repo.name, number, steps });
  }
  return { repos, pulls, events };
}

/** The webhook payload GitHub sends for a step, built from the stand-in's current view of the pull request. */
export function payloadFor(event: string, repo: StandInRepo, pullBody: Record<string, unknown>, pull: StandInPull): Record<string, unknown> {
  const [name, action] = event.split(".") as [string, string];
  const repository = {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: false,
    owner: { login: repo.owner, id: 31_000, node_id: "O_fleet", type: "Organization" },
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    default_branch: repo.defaultBranch,
  };
  const sender = { login: pull.user.login, id: pull.user.id, type: pull.user.type ?? "User" };
  const common = { action, repository, sender, installation: { id: INSTALLATION_ID, node_id: "I_77" } };
  if (name === "pull_request_review") {
    const review = pull.reviews.at(-1);
    return { ...common, pull_request: pullBody, review: { id: review?.id ?? 1, user: review?.user, state: (review?.state ?? "commented").toLowerCase(), commit_id: review?.commit_id } };
  }
  return { ...common, number: pull.number, pull_request: pullBody, ...(action === "labeled" ? { label: { name: pull.labels?.at(-1) ?? "label" } } : {}) };
}
