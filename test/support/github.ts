// Test-side GitHub: the stand-in served through a fetch that validates every request the App makes and every
// response the stand-in gives against GitHub's REST description (GraphQL: against its GraphQL schema). Problems are collected for the test to assert on.
import { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { RestDescription } from "./openapi.js";
import { GraphqlDescription } from "./graphql-schema.js";

export interface ValidatedGitHub {
  standIn: GitHubStandIn;
  fetch: typeof globalThis.fetch;
  problems: string[];
}

export function validatedGitHub(repos: StandInRepo[]): ValidatedGitHub {
  const standIn = new GitHubStandIn(repos);
  const description = RestDescription.load();
  const graphql = GraphqlDescription.load();
  const problems: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const text = await request.clone().text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/graphql") {
      // GraphQL: the query against GitHub's GraphQL schema, the answer executed against it.
      problems.push(...graphql.validateRequest(body));
      const response = await standIn.fetch(request);
      const resText = await response.clone().text();
      if (problems.length === 0) problems.push(...graphql.validateResponse(body, response.status, resText ? (JSON.parse(resText) as unknown) : undefined));
      return response;
    }
    problems.push(...description.validateRequest(request.method, url.pathname + url.search, body));
    const response = await standIn.fetch(request);
    if (response.status !== 304) {
      const resText = await response.clone().text();
      problems.push(...description.validateResponse(request.method, url.pathname, response.status, resText ? (JSON.parse(resText) as unknown) : undefined));
    }
    return response;
  };
  return { standIn, fetch: fetch, problems };
}
