// A pull request's body, read and written with a workflow's token (the CLI's `attest --publish pr`): plain fetch,
// as the CLI runs in a workflow with no App and no Octokit.
import { z } from "zod";
import { AgentGateError } from "../../core/errors.js";

export interface PullBodyTarget {
  /** GitHub's REST root, e.g. the workflow's GITHUB_API_URL. */
  readonly api: string;
  readonly token: string;
  /** owner/name */
  readonly repository: string;
  readonly pr: number;
  readonly fetch: typeof fetch;
}

// A missing head is not refused here: the caller reports it as a head outside the signed commits.
const PullBody = z.object({ body: z.string().nullable().optional(), head: z.object({ sha: z.string().optional() }).optional() });

const headers = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "content-type": "application/json" });
const urlOf = (t: PullBodyTarget): string => `${t.api}/repos/${t.repository}/pulls/${t.pr}`;

/** The pull request's body ("" when it has none) and head commit, if GitHub names one. */
export async function readPullBody(t: PullBodyTarget): Promise<{ body: string; headSha: string | undefined }> {
  const url = urlOf(t);
  const got = await t.fetch(url, { headers: headers(t.token) });
  if (!got.ok) throw new AgentGateError("PUBLISH_FAILED", `GET ${url} answered HTTP ${got.status}`, got.status >= 500 ? "transient" : "invalid-input");
  const parsed = PullBody.safeParse(await got.json());
  if (!parsed.success) throw new AgentGateError("PUBLISH_FAILED", `GET ${url} answered something other than a pull request: expected an object with a string "body" and "head.sha"`);
  return { body: parsed.data.body ?? "", headSha: parsed.data.head?.sha };
}

/** Replaces the pull request's body. */
export async function writePullBody(t: PullBodyTarget, body: string): Promise<void> {
  const url = urlOf(t);
  const put = await t.fetch(url, { method: "PATCH", headers: headers(t.token), body: JSON.stringify({ body }) });
  if (!put.ok) throw new AgentGateError("PUBLISH_FAILED", `PATCH ${url} answered HTTP ${put.status}`, put.status >= 500 ? "transient" : "invalid-input");
}
