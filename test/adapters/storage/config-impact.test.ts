// Config-change impact (issue 18 item 2) on both databases: the last N decisions of a repository come from an index
// scan (newest first, that repository and kind only), the files each decision's config was read from are indexed by
// file, and the replay of real evaluations under a stricter config names the pull requests that would now fail.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { builtinBundle } from "../../../src/adapters/opa/bundle-source.js";
import { PolicyEngine } from "../../../src/adapters/opa/engine.js";
import { SqlBundleStore } from "../../../src/adapters/storage/bundle-store.js";
import { auditEventOf, configFileKey } from "../../../src/adapters/storage/recorder.js";
import { configImpact, recentDecisions } from "../../../src/app/config-impact.js";
import { policyData, validateRepoConfig, type RepoConfig } from "../../../src/config/repo-config.js";
import { pullRequestInput } from "../../../src/core/policy-input.js";
import { sampleEvent } from "./events.js";
import { onBothDatabases } from "./audit-log-suites.js";

const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { config: Record<string, unknown>; input: Record<string, unknown> };
const configOf = (raw: unknown): RepoConfig => {
  const r = validateRepoConfig(raw);
  if (!r.ok) throw new Error(r.messages.join("\n"));
  return r.config;
};

onBothDatabases("config impact", (withLog) => {
  withLog("recent: a repository's records of one kind, newest first, limited, by the index", async ({ db, log }) => {
    for (let i = 1; i <= 12; i++) {
      const repository = i % 3 === 0 ? "acme/other" : "acme/app";
      const base = sampleEvent(i);
      await log.append({ ...base, agent_gate: { ...base.agent_gate, repository, ...(i === 5 ? { kind: "deployment" as const } : {}) } });
    }
    const got = await log.recent("acme/app", "pull_request", 4);
    assert.deepEqual(got.map((r) => r.seq), [11, 10, 8, 7]);
    assert.deepEqual((await log.recent("acme/app", "deployment", 10)).map((r) => r.seq), [5]);
    assert.deepEqual(await log.recent("acme/none", "pull_request", 10), []);
    // The plan reads the index from the newest end, whatever the table's size.
    const plan = await db.transaction(async (q) => {
      await q.exec("SET LOCAL enable_seqscan = off");
      return q.query<Record<string, string>>("EXPLAIN SELECT seq FROM audit_records WHERE repository = 'acme/app' AND kind = 'pull_request' ORDER BY seq DESC LIMIT 4");
    });
    assert.match(plan.map((r) => Object.values(r)[0]).join("\n"), /audit_records_repository_recent/);
  });

  withLog("recent refuses a record edited in place, and one brought in by editing its repository column", async ({ db, log }) => {
    for (let i = 1; i <= 4; i++) {
      const base = sampleEvent(i);
      await log.append({ ...base, agent_gate: { ...base.agent_gate, repository: i === 3 ? "acme/other" : "acme/app" } });
    }
    const asOwner = (sql: string): Promise<void> => db.exec(`ALTER TABLE audit_records DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_records ENABLE TRIGGER USER;`);
    await asOwner("UPDATE audit_records SET repository = 'acme/app' WHERE seq = 3");
    await assert.rejects(log.recent("acme/app", "pull_request", 10), { code: "AUDIT_RECORD_TAMPERED", message: /record 3 of acme\/app .*columns do not match its content/ });
    await asOwner("UPDATE audit_records SET repository = 'acme/other' WHERE seq = 3; UPDATE audit_records SET record = replace(record, '\"conclusion\":\"failure\"', '\"conclusion\":\"success\"') WHERE seq = 3");
    assert.deepEqual((await log.recent("acme/app", "pull_request", 10)).map((r) => r.seq), [4, 2, 1]);
    await asOwner("UPDATE audit_records SET record = replace(record, 'change 4', 'change 5') WHERE seq = 4");
    await assert.rejects(log.recent("acme/app", "pull_request", 10), { code: "AUDIT_RECORD_TAMPERED", message: /record 4 .*does not hash to its stored hash/ });
  });

  withLog("configUsers: the repositories whose decisions read a config file", async ({ log }) => {
    const rows = [
      { repository: "acme/app", f: ["Acme/Base:.github/agent-gate.yml", "acme/.github:policies/agent-gate.yml"] },
      { repository: "acme/web", f: ["acme/.github:.github/agent-gate.yml", "acme/.github:policies/agent-gate.yml"] },
      { repository: "acme/app", f: ["Acme/Base:.github/agent-gate.yml"] },
    ];
    for (const [i, r] of rows.entries()) {
      const base = sampleEvent(i + 1);
      await log.append({ ...base, agent_gate: { ...base.agent_gate, repository: r.repository, config_files: r.f.map((x) => configFileKey(`${x} (default branch)`)) } });
    }
    const users = async (files: string[], limit = 10): Promise<string[]> => (await log.configUsers(files, limit)).map((u) => `${u.file} ${u.repository}`);
    assert.deepEqual(await users(["acme/.github:policies/agent-gate.yml"]), ["acme/.github:policies/agent-gate.yml acme/app", "acme/.github:policies/agent-gate.yml acme/web"]);
    assert.deepEqual(await users(["acme/base:.github/agent-gate.yml", "acme/.github:.github/agent-gate.yml", "acme/nothing:x.yml"]), ["acme/.github:.github/agent-gate.yml acme/web", "acme/base:.github/agent-gate.yml acme/app"]);
    assert.deepEqual(await users(["acme/.github:policies/agent-gate.yml"], 1), ["acme/.github:policies/agent-gate.yml acme/app"]);
    assert.deepEqual(await users([]), []);
    assert.deepEqual((await log.get("dec-000001"))?.agent_gate.config_files, ["acme/base:.github/agent-gate.yml", "acme/.github:policies/agent-gate.yml"]);
  });

  withLog("replay: real decisions recorded with their bundle; two more approvals flip the ones that passed, the latest per PR", async ({ db, log }) => {
    const bundle = builtinBundle();
    const engine = await PolicyEngine.load(bundle);
    const bundles = new SqlBundleStore(db);
    await bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: new TextDecoder().decode(bundle.dataBytes) });
    const data = policyData(configOf(fixture.config));
    // PRs 1..3, PR 2 twice (its latest counts once), and one decision of another repository.
    for (const [i, [repository, pr]] of ([["acme/app", 1], ["acme/app", 2], ["acme/app", 2], ["acme/app", 3], ["acme/web", 9]] as const).entries()) {
      const input = pullRequestInput({ ...fixture.input, pull_request: { ...(fixture.input["pull_request"] as object), number: pr } });
      const decision = engine.evaluate("agent_gate/pull_request/decision", input, { data, decisionId: `replay-${i}` });
      const event = auditEventOf(
        { decisionId: `replay-${i}`, deliveryId: undefined, installationId: 1, repository, pullNumber: pr, headSha: (i + 1).toString(16).padStart(40, "0"), input, decision, conclusion: { conclusion: decision.allow ? "success" : "failure", title: "" }, durationMs: 1, configFiles: [`${repository}:.github/agent-gate.yml (default branch)`] },
        { policy: engine.policy },
      );
      await log.append(event!, { policyData: data });
    }
    const history = { audit: log, bundles };
    assert.deepEqual((await recentDecisions(history, "acme/app", 200)).map((r) => r.agent_gate.pull_request), [3, 2, 1]);
    const same = await configImpact(history, "acme/app", data);
    assert.deepEqual([same.replayed, same.changed.length, same.skipped.length, same.incomplete], [3, 0, 0, undefined]);
    const strict = policyData(configOf({ ...fixture.config, rules: { ...(fixture.config["rules"] as object), human_approval: { count: 5 } } }));
    const r = await configImpact(history, "acme/app", strict);
    assert.deepEqual(r.changed.map((c) => [c.pull_request, c.old, c.new, c.rules]), [3, 2, 1].map((n) => [n, "success", "failure", ["+human-approval"]]));
    assert.equal((await configImpact(history, "acme/app", strict, { last: 1 })).changed.length, 1);
    // A deadline already passed: nothing replayed, and the report says why it is incomplete.
    const late = await configImpact(history, "acme/app", strict, { deadline: 0, now: () => 1 });
    assert.equal(late.replayed, 0);
    assert.match(late.incomplete ?? "", /time allowed ran out after 0 of 3 recorded decision\(s\) of acme\/app/);
    // A bundle nobody stored: skipped with the reason, never a verdict.
    const none = await configImpact({ audit: log, bundles: { get: () => Promise.resolve(undefined) } }, "acme/app", strict);
    assert.equal(none.replayed, 0);
    assert.match(none.skipped[0]?.reason ?? "", /no policy bundle with digest sha256:/);
  });
}, { timeout: 120000 });

