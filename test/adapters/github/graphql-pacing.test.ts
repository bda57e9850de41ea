// Writes of one installation are paced (AGENT_GATE_WRITE_INTERVAL_MS); plugin-throttling would pace every POST
// /graphql with them. agent-gate's GraphQL queries read, so they are not paced; a mutation still is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { budgetedOctokit } from "../../../src/adapters/github/octokit.js";

test("a GraphQL query does not wait for an installation's write pacing; a mutation does", { timeout: 30_000 }, async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push(req.url === "/graphql" ? (JSON.parse(body) as { query: string }).query : `${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(req.url === "/graphql" ? { data: {} } : { id: 1 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    // Pacing long enough that a paced request is still waiting when the query has been answered.
    const Octokit = budgetedOctokit({ retries: 0, retryBaseMs: 1, maxRetryAfterSeconds: 1, writeIntervalMs: 3_000 });
    const authStrategy = () => Object.assign(() => Promise.resolve({ type: "token", token: "ghs_pacing" }), { hook: (request: (o: object) => unknown, options: object) => request(options) });
    const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authStrategy, auth: { installationId: 4242 } });
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { owner: "acme", repo: "widgets", check_run_id: 1, status: "in_progress" });
    const mutation = octokit.request({ method: "POST", url: "/graphql", query: "mutation AgentGateNothing { __typename }" } as never);
    await octokit.request({ method: "POST", url: "/graphql", query: "query AgentGatePull { __typename }" } as never);
    assert.deepEqual(seen, ["PATCH /repos/acme/widgets/check-runs/1", "query AgentGatePull { __typename }"], "the query went ahead of the paced mutation");
    await mutation;
    assert.equal(seen.at(-1), "mutation AgentGateNothing { __typename }");
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
