// A pull request's body, read and written with a workflow's token (the CLI's `attest --publish pr`): plain fetch,
// as the CLI runs in a workflow with no App and no Octokit.
import { z } from "zod";
import { AgentGateError, describeError } from "../../core/errors.js";
import { ANSWER_DEADLINE_MS, readBodyAtMost, readJsonAtMost } from "../bounded-read.js";
import { fetchWithTimeout, HttpTimeoutError } from "./http.js";

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

// GitHub's error document: a message, and for a validation failure each field's own message.
const GithubError = z.object({
  message: z.string().optional(),
  errors: z.array(z.union([z.string(), z.object({ field: z.string().optional(), code: z.string().optional(), message: z.string().optional() })])).optional(),
});
const ERROR_TEXT_MAX = 4096; // bytes of an error answer read (a longer one is not shown)
// A pull request's JSON: a body of at most 65,536 characters and the repository objects; 4 MiB is far past it.
const PULL_ANSWER_MAX_BYTES = 4 * 1024 * 1024;
const SHOWN_MAX = 300; // characters of GitHub's words shown

/**
 * What GitHub said about a refused request, for the error message: its message and its errors' messages, on one line,
 * cut short, with the token blanked should GitHub ever echo it. The body of the request is never shown.
 */
async function githubSays(res: Response, token: string): Promise<string> {
  let text: string;
  try {
    const bytes = await readBodyAtMost(res, ERROR_TEXT_MAX);
    if (bytes === undefined) return "";
    text = bytes.toString("utf8");
  } catch {
    return "";
  }
  let parsed: z.infer<typeof GithubError> | undefined;
  try {
    const r = GithubError.safeParse(JSON.parse(text));
    parsed = r.success ? r.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) return "";
  const parts = [parsed.message, ...(parsed.errors ?? []).map((e) => (typeof e === "string" ? e : (e.message ?? [e.field, e.code].filter((x) => x !== undefined).join(" "))))];
  let said = parts.filter((p): p is string => p !== undefined && p.trim() !== "").join(": ");
  if (token.length > 0) said = said.split(token).join("***");
  // eslint-disable-next-line no-control-regex -- control characters (line breaks, escapes) become one space
  said = said.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return said.length > SHOWN_MAX ? `${said.slice(0, SHOWN_MAX)}...` : said;
}

async function refused(method: string, url: string, res: Response, token: string): Promise<AgentGateError> {
  const said = await githubSays(res, token);
  return new AgentGateError("PUBLISH_FAILED", `${method} ${url} answered HTTP ${res.status}${said !== "" ? `: ${said}` : ""}`, res.status >= 500 ? "transient" : "invalid-input");
}

/** The pull request's body ("" when it has none) and head commit, if GitHub names one. */
export async function readPullBody(t: PullBodyTarget): Promise<{ body: string; headSha: string | undefined }> {
  const url = urlOf(t);
  const got = await within("GET", url, () => fetchWithTimeout(ANSWER_DEADLINE_MS, t.fetch)(url, { headers: headers(t.token) }));
  if (!got.ok) throw await refused("GET", url, got, t.token);
  const read = await within("GET", url, () => readJsonAtMost(got, PULL_ANSWER_MAX_BYTES));
  if ("problem" in read) throw new AgentGateError("PUBLISH_FAILED", `GET ${url} answered ${read.problem}; expected a pull request`);
  const parsed = PullBody.safeParse(read.value);
  if (!parsed.success) throw new AgentGateError("PUBLISH_FAILED", `GET ${url} answered something other than a pull request: expected an object with a string "body" and "head.sha"`);
  return { body: parsed.data.body ?? "", headSha: parsed.data.head?.sha };
}

/** Replaces the pull request's body. */
export async function writePullBody(t: PullBodyTarget, body: string): Promise<void> {
  const url = urlOf(t);
  const put = await within("PATCH", url, () => fetchWithTimeout(ANSWER_DEADLINE_MS, t.fetch)(url, { method: "PATCH", headers: headers(t.token), body: JSON.stringify({ body }) }));
  if (!put.ok) throw await refused("PATCH", url, put, t.token);
  await put.body?.cancel().catch(() => undefined); // the updated pull request: not needed
}

/**
 * `step` (a request to GitHub or the read of its answer) with its failures as PUBLISH_FAILED: past the deadline
 * (fetchWithTimeout's HttpTimeoutError names the request and the deadline) or unreachable.
 */
async function within<T>(method: string, url: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw new AgentGateError("PUBLISH_FAILED", e instanceof HttpTimeoutError ? e.message : `${method} ${url} did not answer: ${describeError(e)}`, "transient");
  }
}
