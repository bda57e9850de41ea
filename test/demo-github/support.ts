// A fetch onto a given stand-in that validates every request and response against GitHub's REST description (GraphQL: its schema)
// (test/support/github.ts does the same for a stand-in it builds itself; these tests configure their own).
import type { GitHubStandIn } from "../../src/demo/github/stand-in.js";
import type { StandInRepo } from "../../src/demo/github/model.js";
import { requestProblems, responseProblems } from "../support/exchange.js";

export interface Validated {
  fetch: typeof globalThis.fetch;
  problems: string[];
  /** Every exchange: method, path and query, status. */
  exchanges: { method: string; url: string; status: number }[];
}

export function validated(standIn: GitHubStandIn): Validated {
  const problems: string[] = [];
  const exchanges: Validated["exchanges"] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const text = await request.clone().text();
    const url = new URL(request.url);
    const sent = text ? (JSON.parse(text) as unknown) : undefined;
    problems.push(...requestProblems(request.method, url.pathname + url.search, sent));
    const response = await standIn.fetch(request);
    exchanges.push({ method: request.method, url: url.pathname + url.search, status: response.status });
    if (response.status !== 304) {
      const resText = await response.clone().text();
      problems.push(...responseProblems(request.method, url.pathname, sent, response.status, resText ? (JSON.parse(resText) as unknown) : undefined));
    }
    return response;
  };
  return { fetch, problems, exchanges };
}

export const sha = (n: number): string => n.toString(16).padStart(40, "0");
export const agent = { login: "claude[bot]", id: 209825114 };
export const human = { login: "alice", id: 1001 };

export function repo(owner = "acme", name = "web", id = 77, pulls = 1): StandInRepo {
  return {
    owner, name, id, defaultBranch: "main",
    files: { ".github/agent-gate.yml": "rules: {}\n" },
    pulls: Array.from({ length: pulls }, (_, i) => ({
      number: i + 1, title: `change ${i + 1}`, body: "body", user: agent,
      head: { ref: `claude/change-${i + 1}`, sha: sha(1000 + i) }, base: { ref: "main", sha: sha(1) },
      commits: [{ sha: sha(1000 + i), tree: sha(2000 + i), message: `change ${i + 1}`, author: { name: "Claude", email: "noreply@anthropic.com", account: agent } }],
      files: [{ filename: "src/a.ts", additions: 1, deletions: 0 }],
      reviews: [], comments: [],
    })),
  };
}
