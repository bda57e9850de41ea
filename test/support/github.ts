// Test-side GitHub: the stand-in served through a fetch that validates every request the App makes and every
// response the stand-in gives against GitHub's REST description, or its GraphQL schema for POST /graphql
// (exchange.ts). Problems are collected for the test to assert on.
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { requestProblems, responseProblems } from "./exchange.js";

export interface ValidatedGitHub {
  standIn: GitHubStandIn;
  fetch: typeof globalThis.fetch;
  problems: string[];
}

export function validatedGitHub(repos: StandInRepo[]): ValidatedGitHub {
  const standIn = new GitHubStandIn(repos);
  const problems: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const text = await request.clone().text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const url = new URL(request.url);
    const sent = requestProblems(request.method, url.pathname + url.search, body);
    problems.push(...sent);
    const response = await standIn.fetch(request);
    if (response.status !== 304 && sent.length === 0) {
      const resText = await response.clone().text();
      problems.push(...responseProblems(request.method, url.pathname, body, response.status, resText ? (JSON.parse(resText) as unknown) : undefined));
    }
    return response;
  };
  return { standIn, fetch: fetch, problems };
}

/**
 * GET /installation/repositories as an installation on all its owner's repositories answers it: what a fake Octokit
 * gives when the gate asks whether a `.github` repository that reads as missing is missing (org-repo-scope.ts).
 */
export const INSTALLED_ON_ALL = { status: 200, url: "", headers: {}, data: { total_count: 0, repository_selection: "all", repositories: [] } };
