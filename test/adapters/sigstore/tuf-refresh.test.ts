// The trusted root kept fresh while the App runs, against a TUF repository on loopback (metadata signed by
// @tufjs/repo-mock's keys, fetched by the real @sigstore/tuf client): scheduled refreshes fired by hand, a failed
// refresh logged with its cause and counted, the verifier swapped in place, and /readyz failing past the maximum
// age. Time is a fake clock; nothing here waits for a timer.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrustRootRefresher, type RefreshTimers } from "../../../src/adapters/sigstore/root-refresher.js";
import type { VerifyRequest } from "../../../src/adapters/sigstore/verifier.js";
import { Metrics } from "../../../src/observability/metrics.js";
import { Readiness, healthHandler, requestListener } from "../../../src/observability/health.js";
import { localTufRepo, type LocalTufRepo } from "../../support/tuf-repo.js";

const CASE = "fixtures/sigstore/cases/c06-dsse-intoto-custom-root-tsa";
const caseJson = JSON.parse(readFileSync(join(CASE, "case.json"), "utf8")) as { identity: string; issuer: string };
const CASE_ROOT = readFileSync(join(CASE, "trusted_root.json"), "utf8");
// A bundle that chains to the case's own root, not to the public-good root pinned in trust/.
const request: VerifyRequest = {
  bundle: readFileSync(join(CASE, "bundle.sigstore.json"), "utf8"),
  subject: { kind: "artifact", bytes: readFileSync(join(CASE, "artifact")) },
  signer: { kind: "certificate", identity: caseJson.identity, issuer: caseJson.issuer },
};
const HOUR = 3_600_000;

/** Timers that only record: the test fires the scheduled refresh itself. */
function manualTimers(): RefreshTimers & { delays: number[]; fire: () => void; pending: () => number } {
  let next: (() => void) | undefined;
  const delays: number[] = [];
  return {
    delays,
    set: (fn, ms) => {
      delays.push(ms);
      next = fn;
      return delays.length;
    },
    clear: () => void (next = undefined),
    fire: () => {
      const fn = next;
      next = undefined;
      assert.ok(fn, "a refresh is scheduled");
      fn();
    },
    pending: () => (next ? 1 : 0),
  };
}

interface Logged {
  level: "info" | "warn";
  obj: Record<string, unknown>;
  msg: string;
}

describe("trusted root refresh through TUF", () => {
  let dir: string;
  let repo: LocalTufRepo;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-gate-tuf-"));
    repo = await localTufRepo(dir, [{ name: "trusted_root.json", content: CASE_ROOT }]);
  });
  after(async () => {
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts on the pinned root when TUF is down, then a scheduled refresh swaps the verifier in place; failures are logged with their cause, counted, retried sooner, and /readyz fails past the maximum age", async () => {
    let clock = Date.UTC(2026, 0, 1);
    const timers = manualTimers();
    const logged: Logged[] = [];
    const metrics = new Metrics({ defaultMetrics: false });
    const cacheDir = join(dir, "cache-a");
    repo.failWith = 503;
    const refresher = await TrustRootRefresher.start({
      cacheDir,
      tuf: { mirrorURL: repo.url, rootPath: repo.rootPath, retry: 0, timeoutMs: 5000 },
      intervalMs: 6 * HOUR,
      maxAgeMs: 72 * HOUR,
      retryMs: 60_000,
      now: () => clock,
      timers,
      log: { info: (obj, msg) => logged.push({ level: "info", obj, msg }), warn: (obj, msg) => logged.push({ level: "warn", obj, msg }) },
      onFailure: () => metrics.trustRootRefreshFailed(),
    });
    metrics.setTrustRootAge(() => refresher.status().ageMs / 1000);
    const readiness = new Readiness().register("trusted_root", refresher.check);
    const server = createServer(requestListener(healthHandler({ readiness, metrics })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // Start: the mirror answers 503, so the pinned public-good root is used and the failure is loud.
      assert.equal(refresher.status().source, "pinned");
      assert.equal(refresher.status().failures, 1);
      assert.deepEqual(logged.map((l) => l.level), ["warn"]);
      assert.match(String(logged[0]!.obj.err), /TUF refresh failed: .*HTTP 503/);
      const verifier = refresher.verifier;
      const before = verifier.verify(request);
      assert.equal(before.ok, false, "the case's bundle does not chain to the public-good root");
      assert.deepEqual(timers.delays, [60_000], "after a failure the next try comes after retryMs");

      // The scheduled refresh, with the mirror back: the same verifier object now verifies with TUF's root.
      repo.failWith = undefined;
      clock += 60_000;
      timers.fire();
      await waitFor(() => timers.pending() === 1);
      assert.equal(refresher.status().source, "tuf");
      assert.equal(refresher.status().consecutiveFailures, 0);
      const afterRefresh = verifier.verify(request);
      assert.ok(afterRefresh.ok, afterRefresh.ok ? "" : `${afterRefresh.code}: ${afterRefresh.message}`);
      assert.ok(existsSync(join(cacheDir, "trusted_root.last-good.json")), "the fresh root is kept as the last good one");
      assert.match(logged.at(-1)!.msg, /a new root is in use/);
      assert.equal(timers.delays.at(-1), 6 * HOUR, "after a success the next refresh comes after the interval");
      assert.equal((await fetch(`${base}/readyz`)).status, 200);

      // The mirror goes down again, then serves metadata signed by keys the client never trusted: both refused,
      // each logged with its cause and counted; the retry backs off; the last good root stays in use.
      repo.failWith = 503;
      clock += 6 * HOUR;
      timers.fire();
      await waitFor(() => refresher.status().failures === 2 && timers.pending() === 1);
      repo.failWith = undefined;
      repo.replace([{ name: "trusted_root.json", content: CASE_ROOT }]);
      clock += 60_000;
      timers.fire();
      await waitFor(() => refresher.status().failures === 3 && timers.pending() === 1);
      const warnings = logged.filter((l) => l.level === "warn").map((l) => String(l.obj.err));
      assert.equal(warnings.length, 3);
      assert.match(warnings[1]!, /HTTP 503/);
      assert.match(warnings[2]!, /signed by 0\/1 keys/);
      assert.deepEqual(timers.delays.slice(-2), [60_000, 120_000], "consecutive failures back off");
      assert.ok(verifier.verify(request).ok, "a failed refresh keeps the last good root");
      assert.equal(refresher.status().source, "tuf");
      assert.match(await (await fetch(`${base}/metrics`)).text(), /agent_gate_trust_root_refresh_failures_total 3/);

      // Past the maximum age: /readyz answers 503 naming the age and the last error.
      clock = refresher.status().goodSince + 73 * HOUR;
      const res = await fetch(`${base}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { reason: string };
      assert.match(body.reason, /trusted_root: the trusted root \(tuf\) is 73\.0 h old, past the 72\.0 h allowed/);
      assert.match(body.reason, /last refresh error: TUF refresh failed: .*signed by 0\/1 keys/);
      assert.match(await (await fetch(`${base}/metrics`)).text(), /agent_gate_trust_root_age_seconds 262800/);
    } finally {
      refresher.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.equal(timers.pending(), 0, "stop() cancels the next refresh");
  });

  it("a root TUF serves that fails linting is a failed refresh: counted, and never kept as the last good root", async () => {
    const cacheDir = join(dir, "cache-b");
    const bad = await localTufRepo(mkdtempSync(join(dir, "bad-")), [{ name: "trusted_root.json", content: JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1", tlogs: [] }) }]);
    const causes: string[] = [];
    try {
      const refresher = await TrustRootRefresher.start({ cacheDir, tuf: { mirrorURL: bad.url, rootPath: bad.rootPath, retry: 0 }, intervalMs: HOUR, maxAgeMs: 72 * HOUR, timers: manualTimers(), onFailure: (c) => causes.push(c) });
      refresher.stop();
      assert.equal(refresher.status().source, "pinned");
      assert.equal(causes.length, 1);
      assert.match(causes[0]!, /the TUF trusted root is refused: .*tlogs must be a non-empty list/);
      assert.equal(existsSync(join(cacheDir, "trusted_root.last-good.json")), false);
    } finally {
      await bad.close();
    }
  });

  it("after a restart with TUF down, the last good root is used and its age counts from when TUF gave it", async (t) => {
    const cacheDir = join(dir, "cache-c");
    const mirror = await localTufRepo(mkdtempSync(join(dir, "c-")), [{ name: "trusted_root.json", content: CASE_ROOT }]);
    t.after(() => mirror.close());
    const tuf = { mirrorURL: mirror.url, rootPath: mirror.rootPath, retry: 0 };
    const first = await TrustRootRefresher.start({ cacheDir, tuf, intervalMs: HOUR, maxAgeMs: 72 * HOUR, timers: manualTimers() });
    first.stop();
    assert.equal(first.status().source, "tuf");
    const keptAt = statSync(join(cacheDir, "trusted_root.last-good.json")).mtimeMs;

    mirror.failWith = 503;
    let clock = keptAt + 71 * HOUR;
    const second = await TrustRootRefresher.start({ cacheDir, tuf, intervalMs: HOUR, maxAgeMs: 72 * HOUR, now: () => clock, timers: manualTimers() });
    second.stop();
    assert.equal(second.status().source, "last-good");
    assert.ok(second.verifier.verify(request).ok);
    assert.match(second.check(), /^last-good, 71\.0 h old, 1 refresh\(es\) failed since: TUF refresh failed: .*HTTP 503/);
    clock = keptAt + 72 * HOUR + 1;
    assert.throws(() => second.check(), /the trusted root \(last-good\) is 72\.0 h old/);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  // counted polls of an outcome, not a duration: the refresh is a few loopback requests
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), "the refresh finished");
}
