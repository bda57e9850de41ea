// One commit, many pull requests. A check run belongs to a commit and shows on every pull request whose head it
// is, forks included, so the gate judges the commit against every open pull request that has it as head and
// publishes one combined verdict:
//   - pull requests with standing are those opened by someone with write access, or by an App from the repository
//     itself (a branch here is not enough: organisation members who may only read can open a pull request from it);
//   - when any has standing, the verdict is success only if every one with standing passes; the others (outsiders'
//     pull requests) are judged and listed, but count for nothing: an outsider's pull request can turn no maintainer's
//     pull request into a failure, and no pull request's content into a success;
//   - when none has standing, every one must pass.
// Adding a pull request can therefore only ever add failures to those that count.
import type { PullStanding } from "../adapters/github/pull-request-source.js";
import type { CheckConclusion } from "../core/conclusion.js";
import type { CheckRunOutput } from "../render/check-run.js";
import { sharedHeadSection } from "../render/shared-head.js";
import type { Evaluation } from "./gate-types.js";

export interface HeadPull {
  readonly number: number;
  readonly author: string;
  /** Opened by someone with write access, or by an App from this repository. */
  readonly standing: boolean;
  readonly fork: boolean;
  readonly conclusion: CheckConclusion["conclusion"] | "success" | "failure";
  readonly title: string;
}

export interface Combined {
  readonly conclusion: "success" | "failure";
  /** The pull request whose check run is shown: the first that counts and fails, else the first that counts. */
  readonly shown: number;
  /** The pull requests whose verdicts count. */
  readonly counted: readonly number[];
}

export function combineHeadVerdicts(pulls: readonly HeadPull[]): Combined {
  if (pulls.length === 0) throw new Error("combineHeadVerdicts: no pull request");
  const withStanding = pulls.filter((p) => p.standing);
  const counted = withStanding.length > 0 ? withStanding : pulls;
  const failing = counted.find((p) => p.conclusion !== "success");
  return { conclusion: failing ? "failure" : "success", shown: (failing ?? counted[0]!).number, counted: counted.map((p) => p.number) };
}

/** The one check run of a head commit judged against every open pull request it heads (evaluations in order). */
export function combinedOutput(evaluations: readonly Evaluation[], standings: readonly PullStanding[]): { output: CheckRunOutput; decisionId: string } {
  if (evaluations.length === 1) return { output: evaluations[0]!.output, decisionId: evaluations[0]!.decisionId };
  const heads: HeadPull[] = standings.map((s, i) => ({ ...s, conclusion: evaluations[i]!.output.conclusion, title: evaluations[i]!.output.title }));
  const combined = combineHeadVerdicts(heads);
  const shown = evaluations[heads.findIndex((h) => h.number === combined.shown)]!;
  const failing = heads.filter((h) => combined.counted.includes(h.number) && h.conclusion !== "success");
  const title = combined.conclusion === shown.output.conclusion ? shown.output.title : `Blocked: ${failing.map((h) => `#${h.number}`).join(", ")} did not pass`;
  return { output: { ...shown.output, conclusion: combined.conclusion, title, summary: `${shown.output.summary}${sharedHeadSection(heads, combined.counted)}` }, decisionId: shown.decisionId };
}
