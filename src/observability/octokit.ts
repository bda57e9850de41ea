// Counts every GitHub API request an Octokit makes (method, route template, status) and records the rate limit
// GitHub reports with each answer. Works on one instance (instrumentOctokit) or on every instance of a class
// (octokitMetricsPlugin, for ProbotOctokit.plugin(...), which is how Probot's per-installation clients get it).
import type { Octokit } from "@octokit/rest";
import type { Metrics } from "./metrics.js";

type Hookable = Pick<Octokit, "hook">;

export interface InstrumentOptions {
  /** The installation label of the rate-limit gauge; default: from the client's auth options, else "app". */
  readonly installation?: string | number;
}

/**
 * A bounded label for a request URL. Octokit passes route templates ("/repos/{owner}/{repo}/check-runs"), kept as
 * they are, but a caller may write names into the route ("/repos/acme/web/...") and a full URL (pagination follows GitHub's Link header, e.g. /repositories/77/pulls/7/commits?page=2)
 * loses its origin and query string, and its ids and names become placeholders, so labels do not grow with traffic.
 */
export function routeTemplate(url: string | undefined): string {
  if (!url) return "unknown";
  let path = url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return "unknown";
    }
  }
  path = path.split(/[?#]/, 1)[0] ?? "";
  const segments = path.split("/");
  const named: Record<string, string[]> = { repos: ["{owner}", "{repo}"], orgs: ["{org}"], users: ["{username}"], enterprises: ["{enterprise}"] };
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] ?? "";
    if (s.startsWith("{")) continue; // a template's placeholder
    if (/^\d+$/.test(s)) segments[i] = "{id}";
    else if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(s)) segments[i] = "{sha}";
    const placeholders = i === 1 ? named[s] : undefined; // only a top-level /repos/..., /orgs/... names what follows
    if (placeholders) {
      placeholders.forEach((p, k) => {
        if (i + 1 + k < segments.length) segments[i + 1 + k] = p;
      });
      i += placeholders.length;
    }
  }
  return segments.join("/");
}

interface ResponseLike {
  status?: number;
  headers?: Record<string, string | number | undefined>;
}

function header(r: ResponseLike | undefined, name: string): string | undefined {
  const v = r?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

function record(metrics: Metrics, installation: string, method: string, url: string | undefined, status: number, response: ResponseLike | undefined): void {
  metrics.githubRequest(method, routeTemplate(url), status);
  const remaining = header(response, "x-ratelimit-remaining");
  if (remaining !== undefined && /^\d+$/.test(remaining)) {
    metrics.rateLimitRemaining(header(response, "x-ratelimit-resource") ?? "core", installation, Number(remaining));
  }
}

/** Wraps `octokit`'s requests: each one is counted once, with the status of its final answer (0: no answer). */
export function instrumentOctokit(octokit: Hookable, metrics: Metrics, options: InstrumentOptions = {}): void {
  const installation = String(options.installation ?? "app");
  octokit.hook.wrap("request", async (request, requestOptions) => {
    const method = String(requestOptions.method ?? "GET");
    const url = requestOptions.url as string | undefined;
    try {
      const response = await request(requestOptions);
      record(metrics, installation, method, url, response.status, response as ResponseLike);
      return response;
    } catch (err) {
      // A RequestError with a response is GitHub's answer; without one (network error, timeout, abort) it is 0.
      const response = (err as { response?: ResponseLike } | null)?.response;
      record(metrics, installation, method, url, typeof response?.status === "number" ? response.status : 0, response);
      throw err;
    }
  });
}

/**
 * An Octokit plugin: `ProbotOctokit.plugin(octokitMetricsPlugin(metrics))` instruments every client Probot creates,
 * labelling the rate limit with the installation id from the client's auth options ("app" for the App's own).
 */
export function octokitMetricsPlugin(metrics: Metrics): (octokit: Hookable, options?: { auth?: unknown }) => void {
  return (octokit, options) => {
    const auth = options?.auth as { installationId?: unknown } | undefined;
    const id = auth?.installationId;
    instrumentOctokit(octokit, metrics, { installation: typeof id === "number" || typeof id === "string" ? id : "app" });
  };
}
