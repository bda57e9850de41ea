// A commit's signature as GitHub stores it, for `agent-gate verify-commit --repo OWNER/REPO --sha SHA`: plain fetch
// with the caller's token (the CLI runs without an App), as attest --publish does. The route is the Git database's
// GET /repos/{owner}/{repo}/git/commits/{commit_sha}: the same `verification` object (payload, signature) as
// GET /repos/{owner}/{repo}/commits/{ref}, without the file list and patches that make the latter's answer megabytes
// long, and it takes a commit id only (never a branch name). The answer is read up to a byte cap, parsed with zod, and
// the payload and signature must rebuild exactly the asked commit id, so a verdict is bound to that commit.
import * as z from "zod";
import { AgentGateError, describeError } from "../../core/errors.js";
import { readBodyAtMost } from "../bounded-read.js";
import { payloadIsCommit, rebuildSignedCommit } from "../../core/signed-commits.js";
import { secureUrlProblem } from "../../core/secure-url.js";

export interface CommitSource {
  /** GitHub's REST root: https://api.github.com, a GHES https://HOST/api/v3, or a loopback stand-in. */
  readonly api: string;
  /** Optional: public repositories answer without one (at a lower rate limit). Never printed. */
  readonly token?: string;
  /** owner/name */
  readonly repository: string;
  /** The full commit id: 40 lowercase hex (SHA-1 repositories; gitsign signs no other kind). */
  readonly sha: string;
  readonly fetch: typeof fetch;
  /** Default 30 s for the whole request. */
  readonly timeoutMs?: number;
}

export type GitHubCommitSignature =
  /** The raw commit object rebuilt from GitHub's payload and signature; its git id is the asked sha. */
  | { readonly signed: true; readonly raw: Buffer; readonly github: { readonly verified: boolean; readonly reason: string } }
  | { readonly signed: false; readonly github: { readonly verified: boolean; readonly reason: string } }
  /** GitHub's payload and signature are not the asked commit: nothing about it may be concluded from them. */
  | { readonly signed: "mismatch"; readonly message: string };

/** A commit object is a few KB, a gitsign signature about 3 KB; JSON escaping at most sextuples them. */
export const MAX_COMMIT_RESPONSE_BYTES = 8 * 1024 * 1024;
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SHA = /^[0-9a-f]{40}$/;

const GitCommit = z.object({
  sha: z.string(),
  verification: z.object({ verified: z.boolean(), reason: z.string(), payload: z.string().nullable(), signature: z.string().nullable() }),
});

/** Why `api` cannot be sent a token, or undefined: https anywhere, plain http to the loopback interface only. */
export function apiUrlProblem(api: string): string | undefined {
  return secureUrlProblem(api, "GitHub API");
}

// leaving the read early cancels the stream: no more of an oversized answer is read (bounded-read.ts)
async function readCapped(res: Response, url: string): Promise<string> {
  const body = await readBodyAtMost(res, MAX_COMMIT_RESPONSE_BYTES);
  if (body === undefined) throw tooLarge(url);
  return body.toString("utf8");
}
const tooLarge = (url: string): AgentGateError => new AgentGateError("GITHUB_RESPONSE_INVALID", `GET ${url} answered more than ${MAX_COMMIT_RESPONSE_BYTES} bytes; expected one commit object`);

/**
 * Reads commit `sha` of `repository` with its signature. Throws AgentGateError when GitHub cannot be asked or answers
 * badly (GITHUB_UNAVAILABLE, HTTP_TIMEOUT, GITHUB_REQUEST_FAILED, GITHUB_RESPONSE_INVALID); an unsigned commit and a
 * payload that is not the commit are answers, not errors.
 */
export async function readCommitSignature(s: CommitSource): Promise<GitHubCommitSignature> {
  if (!REPOSITORY.test(s.repository)) throw new AgentGateError("GITHUB_REQUEST_FAILED", `expected a repository as OWNER/REPO, got ${JSON.stringify(s.repository.slice(0, 150))}`, "internal");
  if (!SHA.test(s.sha)) throw new AgentGateError("GITHUB_REQUEST_FAILED", "expected a full commit id: 40 lowercase hex characters", "internal");
  const problem = apiUrlProblem(s.api);
  if (problem !== undefined) throw new AgentGateError("GITHUB_REQUEST_FAILED", problem, "internal");
  const url = `${s.api.replace(/\/+$/, "")}/repos/${s.repository}/git/commits/${s.sha}`;
  const headers: Record<string, string> = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };
  if (s.token) headers.authorization = `Bearer ${s.token}`;
  let text: string;
  let status: number;
  try {
    const res = await s.fetch(url, { headers, signal: AbortSignal.timeout(s.timeoutMs ?? 30_000) });
    status = res.status;
    text = await readCapped(res, url);
  } catch (e) {
    if (e instanceof AgentGateError) throw e;
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) throw new AgentGateError("HTTP_TIMEOUT", `GET ${url} did not answer within ${(s.timeoutMs ?? 30_000) / 1000} s`, "transient", { cause: e });
    throw new AgentGateError("GITHUB_UNAVAILABLE", `GET ${url} failed: ${describeError(e)}`, "transient", { cause: e });
  }
  if (status >= 500 || status === 429) throw new AgentGateError("GITHUB_UNAVAILABLE", `GET ${url} answered HTTP ${status}; retry later`, "transient");
  if (status === 404 || status === 422) throw new AgentGateError("GITHUB_REQUEST_FAILED", `GET ${url} answered HTTP ${status}: no commit ${s.sha} in ${s.repository} that this token can read`, "internal");
  if (status !== 200) throw new AgentGateError("GITHUB_REQUEST_FAILED", `GET ${url} answered HTTP ${status}${status === 401 || status === 403 ? " (check GITHUB_TOKEN and its read access to the repository, or the rate limit)" : ""}`, "internal");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GET ${url} answered something that is not JSON`);
  }
  const parsed = GitCommit.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentGateError("GITHUB_RESPONSE_INVALID", `GET ${url} answered something other than a git commit: expected ${issue ? `"${issue.path.join(".")}": ${issue.message}` : "sha and verification"}`);
  }
  const { sha, verification: v } = parsed.data;
  if (sha.toLowerCase() !== s.sha) return { signed: "mismatch", message: `GitHub answered commit ${sha.slice(0, 64)} for ${s.sha}` };
  const github = { verified: v.verified, reason: v.reason.slice(0, 100) };
  if (v.signature === null || v.payload === null) return { signed: false, github };
  if (!payloadIsCommit(s.sha, v.payload, v.signature)) {
    return { signed: "mismatch", message: `GitHub's payload and signature do not rebuild commit ${s.sha} (a signature over other bytes, or a commit that is not valid UTF-8)` };
  }
  return { signed: true, raw: Buffer.from(rebuildSignedCommit(v.payload, v.signature), "utf8"), github };
}
