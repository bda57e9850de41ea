// The App-level reads and writes reconciliation makes: the App's webhook delivery history and redeliveries (with
// the App's own JWT), its installations, and each installation's repositories and open pull requests. One call is
// one request, so the caller can count them against its budget.
import type { Octokit } from "@octokit/rest";
import { z } from "zod";

type Api = Pick<Octokit, "request">;

const Delivery = z.object({
  id: z.number(),
  guid: z.string(),
  delivered_at: z.string(),
  status_code: z.number(),
  event: z.string(),
  action: z.string().nullable(),
});
export type DeliveryRow = z.infer<typeof Delivery>;

/** One page (up to 100, newest first) of the App's delivery history, and the cursor of the next page if any. */
export async function hookDeliveriesPage(app: Api, cursor: string | undefined): Promise<{ rows: DeliveryRow[]; next: string | undefined }> {
  const res = await app.request("GET /app/hook/deliveries", { per_page: 100, ...(cursor ? { cursor } : {}) });
  return { rows: z.array(Delivery).parse(res.data), next: nextCursor(res.headers.link) };
}

/** Asks GitHub to send delivery `deliveryId` again. */
export async function redeliver(app: Api, deliveryId: number): Promise<void> {
  await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
}

/** The ids of one page (up to 100) of the App's installations. */
export async function installationsPage(app: Api, page: number): Promise<number[]> {
  const res = await app.request("GET /app/installations", { per_page: 100, page });
  return z.array(z.object({ id: z.number() })).parse(res.data).map((i) => i.id);
}

/** One page (up to 100) of the repositories an installation can reach. */
export async function installationRepositoriesPage(octokit: Api, page: number): Promise<{ owner: string; name: string }[]> {
  const res = await octokit.request("GET /installation/repositories", { per_page: 100, page });
  const Repos = z.object({ repositories: z.array(z.object({ name: z.string(), owner: z.object({ login: z.string() }) })) });
  return Repos.parse(res.data).repositories.map((r) => ({ owner: r.owner.login, name: r.name }));
}

/** One page (up to 100) of a repository's open pull requests: number and head commit. */
export async function openPullsPage(octokit: Api, owner: string, repo: string, page: number, state: "open" | "all" = "open"): Promise<{ number: number; headSha: string }[]> {
  const res = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner, repo, state, per_page: 100, page });
  const Pulls = z.array(z.object({ number: z.number(), head: z.object({ sha: z.string() }) }));
  return Pulls.parse(res.data).map((p) => ({ number: p.number, headSha: p.head.sha }));
}

/** GitHub's cursor pagination: the cursor (query parameter `param`, `cursor` or `after`) of the rel="next" link. */
export function nextCursor(link: string | undefined, param = "cursor"): string | undefined {
  const next = link?.split(",").find((p) => /rel="next"/.test(p));
  const url = next ? /<([^>]+)>/.exec(next)?.[1] : undefined;
  return url ? (new URL(url).searchParams.get(param) ?? undefined) : undefined;
}
