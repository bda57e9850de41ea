// One commit heading too many pull requests is not judged for some of them: the list is read whole up to
// PULLS_PER_COMMIT_MAX, and past it the gate fails closed (each shared pull request costs a whole evaluation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { PULLS_PER_COMMIT_MAX, pullsForCommit } from "../../../src/adapters/github/pull-request-source.js";
import { AgentGateError } from "../../../src/core/errors.js";

const SHA = "a".repeat(40);
const HERE = { id: 77, full_name: "acme/widgets" };
const pulls = (n: number, base: { id?: number; full_name: string } = HERE): { number: number; state: string; head: { sha: string }; base: { repo: { id?: number; full_name: string } } }[] =>
  Array.from({ length: n }, (_, i) => ({ number: i + 1, state: "open", head: { sha: SHA }, base: { repo: base } }));

function api(items: unknown[]): Parameters<typeof pullsForCommit>[0] {
  return {
    request: () => Promise.reject(new Error("not used")),
    paginate: {
      iterator: async function* () {
        await Promise.resolve();
        for (let i = 0; i < items.length; i += 100) yield { data: items.slice(i, i + 100), headers: i + 100 < items.length ? { link: '<x>; rel="next"' } : {} };
      },
    },
  } as unknown as Parameters<typeof pullsForCommit>[0];
}

test("every open pull request heading the commit is listed, up to the cap", async () => {
  assert.deepEqual(await pullsForCommit(api(pulls(PULLS_PER_COMMIT_MAX)), "acme", "widgets", SHA), pulls(PULLS_PER_COMMIT_MAX).map((p) => p.number));
});

test("one pull request past the cap fails closed with TOO_MANY_PULLS, naming the commit and the cap", async () => {
  await assert.rejects(pullsForCommit(api(pulls(PULLS_PER_COMMIT_MAX + 1)), "acme", "widgets", SHA), (e: unknown) => e instanceof AgentGateError && e.code === "TOO_MANY_PULLS" && e.message.includes(`more than ${PULLS_PER_COMMIT_MAX}`) && e.message.includes("aaaaaaa"));
});

test("paging that makes no progress fails the read, never loops: empty pages, or one item a page past the page cap", async () => {
  const endless = (perPage: number): Parameters<typeof pullsForCommit>[0] =>
    ({
      request: () => Promise.reject(new Error("not used")),
      paginate: {
        // A next page linked forever (stopped at 1,000 so a missing guard fails rather than hangs).
        iterator: async function* () {
          for (let i = 0; i < 1000; i++) yield await Promise.resolve({ data: pulls(perPage), headers: { link: '<x>; rel="next"' } });
        },
      },
    }) as unknown as Parameters<typeof pullsForCommit>[0];
  await assert.rejects(pullsForCommit(endless(0), "acme", "widgets", SHA), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /page 1 holds no items but links a next page/.test(e.message));
  await assert.rejects(pullsForCommit(endless(1), "acme", "widgets", SHA), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /more than 2 pages for at most 30 items/.test(e.message));
});

test("a pull request of another repository of the fork network heading the commit is not listed; one without a base repository is an error", async () => {
  // The same commit heads #1 here and #1 of the upstream repository: only this repository's counts (by full name, any case).
  const upstream = pulls(1, { id: 4_242, full_name: "upstream/widgets" });
  assert.deepEqual(await pullsForCommit(api([...upstream, ...pulls(1, { id: 77, full_name: "ACME/Widgets" })]), "acme", "widgets", SHA), [1]);
  assert.deepEqual(await pullsForCommit(api(upstream), "acme", "widgets", SHA), []);
  const placeless = [{ number: 1, state: "open", head: { sha: SHA }, base: {} }];
  await assert.rejects(pullsForCommit(api(placeless), "acme", "widgets", SHA), (e: unknown) => e instanceof AgentGateError && e.code === "GITHUB_RESPONSE_INVALID" && /names no base repository/.test(e.message));
});
