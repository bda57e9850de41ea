// One check for every exchange with the GitHub stand-in: REST against GitHub's REST description (openapi.ts),
// POST /graphql against GitHub's GraphQL schema (graphql-schema.ts).
import { RestDescription } from "./openapi.js";
import { GraphqlDescription } from "./graphql-schema.js";

const isGraphql = (method: string, url: string): boolean => method.toUpperCase() === "POST" && url.split("?")[0] === "/graphql";

/** Problems with a request (`url`: path and query). */
export function requestProblems(method: string, url: string, body: unknown): string[] {
  return isGraphql(method, url) ? GraphqlDescription.load().validateRequest(body) : RestDescription.load().validateRequest(method, url, body);
}

/** Problems with the answer to a request (`requestBody`: what was sent, for GraphQL's query). */
export function responseProblems(method: string, url: string, requestBody: unknown, status: number, body: unknown): string[] {
  if (isGraphql(method, url)) return GraphqlDescription.load().validateResponse(requestBody, status, body);
  return RestDescription.load().validateResponse(method, url.split("?")[0] ?? url, status, body);
}
