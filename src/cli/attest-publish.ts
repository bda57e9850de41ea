// `agent-gate attest --publish pr`: the block goes into the PR body, marked with the head commit. A marked block (of
// an earlier push, or of a re-run of this one) is dropped when the new statement covers everything it covered, for
// the same signer: the gate then finds the same coverage in the new block (checked before publishing,
// attest-check.ts), and the body does not grow by one bundle per push until GitHub's cap on a body refuses it. Every
// other block (another signer's, one naming a commit the new one does not sign, an unmarked one) is kept.
import { readFileSync } from "node:fs";
import { AgentGateError } from "../core/errors.js";
import { parseRepositoryName } from "../core/binding.js";
import { extractProvenanceBlocks } from "../core/provenance-block.js";
import { readPullBody, writePullBody } from "../adapters/github/pull-body.js";
import type { Attestation } from "../app/attest.js";
import { sameSigner, verifyAsGate, type SelfCheck } from "./attest-check.js";

/** GitHub's cap on a pull request's body, in characters. */
export const GITHUB_BODY_MAX = 65_536;

const MARK = (head: string): string => `<!-- agent-gate:attest head=${head} -->`;
// a marked block with the blank lines before it, so that a dropped block leaves no gap behind
const MARKED_BLOCK = /((?:\r?\n)*)<!-- agent-gate:attest head=([0-9a-f]{40,64}) -->\r?\n(<!-- agent-gate:provenance v1\r?\n[A-Za-z0-9+/=\s]*?-->)/g;

/**
 * The PR body with this push's block. A marked block that `superseded` says the new block covers is dropped; the new
 * block takes the place of the first such block of the same head (a re-run of the same push), else it is appended.
 * By default a block of the same head is superseded and no other is (the pure text operation, for tests).
 */
export function bodyWithBlock(
  body: string,
  head: string,
  block: string,
  superseded: (bundleJson: string, sameHead: boolean) => boolean = (_json, sameHead) => sameHead,
): { body: string; dropped: string[] } {
  const marked = `${MARK(head)}\n${block}`;
  let placed = false;
  const dropped: string[] = [];
  const next = body.replace(MARKED_BLOCK, (whole, lead: string, h: string, old: string) => {
    const json = extractProvenanceBlocks(old, { kind: "pr-body" }).bundles[0]?.json;
    if (json === undefined || !superseded(json, h === head)) return whole;
    if (h === head && !placed) {
      placed = true;
      return `${lead}${marked}`;
    }
    dropped.push(h);
    return "";
  });
  if (placed) return { body: next, dropped };
  const kept = next.trimEnd();
  return { body: `${kept}${kept.trim().length > 0 ? "\n\n" : ""}${marked}\n`, dropped };
}

/**
 * Whether an earlier block is superseded by the new attestation: it verifies as the gate verifies it, for the same
 * signer, and every subject it names is a commit of the same repository that the new statement names too.
 */
export function supersededBy(a: Attestation, check: SelfCheck): (bundleJson: string, sameHead: boolean) => boolean {
  const repository = a.statement.predicate.buildDefinition.externalParameters.target.repository;
  const repo = parseRepositoryName(repository)?.repository;
  const ours = new Set(a.statement.subject.map((s) => s.digest.gitCommit.toLowerCase()));
  return (json) => {
    const o = verifyAsGate(check.verifier, check.signers, json);
    if (!o.ok || !o.statement || !sameSigner(o.signer, check.verified.signer)) return false;
    const subjects = o.statement.subject;
    return subjects.length > 0 && subjects.every((s) => ours.has(s.digest["gitCommit"]?.toLowerCase() ?? "") && parseRepositoryName(s.name)?.repository === repo);
  };
}

const count = (text: string): number => {
  let n = 0;
  for (const _ of text) n++; // characters as GitHub counts them (code points), not UTF-16 units
  return n;
};

/** Where --publish pr writes: the workflow's token and the pull request's number, known before anything is signed. */
export interface PublishTarget {
  readonly api: string;
  readonly token: string;
  readonly pr: number;
}

export function publishTarget(prArg: string | undefined, env: Readonly<Record<string, string | undefined>>): PublishTarget {
  const token = env.GITHUB_TOKEN;
  if (token === undefined || token.length === 0) throw new AgentGateError("NO_TOKEN", "--publish pr needs the workflow's token in GITHUB_TOKEN (with pull-requests: write)");
  const pr = Number(prArg ?? prFromEvent(env.GITHUB_EVENT_PATH));
  if (!Number.isInteger(pr) || pr <= 0) throw new AgentGateError("NO_PULL_REQUEST", "no pull request to publish to: give --pr N, or run on a pull_request event");
  return { api: env.GITHUB_API_URL ?? "https://api.github.com", token, pr };
}

export async function publish(
  target: PublishTarget,
  a: Attestation,
  check: SelfCheck,
  io: { readonly fetch: typeof fetch; readonly err: (t: string) => void },
): Promise<{ repository: string; pr: number; head: string; dropped: string[] }> {
  const repo = a.statement.predicate.buildDefinition.externalParameters.target.repository;
  const pr = target.pr;
  const dest = { api: target.api, token: target.token, repository: repo, pr, fetch: io.fetch };
  const pull = await readPullBody(dest);
  const head = pull.headSha;
  const subjects = a.statement.subject.map((s) => s.digest.gitCommit);
  if (head === undefined || !subjects.includes(head)) {
    throw new AgentGateError("COMMITS_OUTSIDE_PR", `the signed commits (${subjects.map((s) => s.slice(0, 7)).join(", ")}) do not include the head of pull request #${pr} (${head?.slice(0, 7) ?? "unknown"})`);
  }
  const next = bodyWithBlock(pull.body, head, a.block, supersededBy(a, check));
  const size = count(next.body);
  if (size > GITHUB_BODY_MAX) {
    throw new AgentGateError(
      "PUBLISH_FAILED",
      `the body of pull request #${pr} would be ${size} characters with this provenance block (${count(a.block)} of them); GitHub caps a body at ${GITHUB_BODY_MAX} characters. ` +
        `${next.dropped.length > 0 ? `${next.dropped.length} earlier block(s) this one covers were dropped already; ` : ""}shorten the description or remove blocks the gate no longer needs, or keep the bundle with --out`,
    );
  }
  await writePullBody(dest, next.body);
  const droppedNote = next.dropped.length > 0 ? `; dropped ${next.dropped.length} earlier block(s) it covers (${next.dropped.map((h) => h.slice(0, 7)).join(", ")})` : "";
  io.err(`agent-gate attest: provenance block published on ${repo}#${pr} for ${head.slice(0, 7)}${droppedNote}`);
  return { repository: repo, pr, head, dropped: next.dropped };
}

function prFromEvent(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    const event = JSON.parse(readFileSync(path, "utf8")) as { pull_request?: { number?: number }; number?: number };
    const n = event.pull_request?.number ?? event.number;
    return n === undefined ? undefined : String(n);
  } catch {
    return undefined;
  }
}
