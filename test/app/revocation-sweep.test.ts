// Revocation sweeps (issue 18 item 3) on both databases: the audit log's evidence index is written with each record
// (and backfilled for records from before it), finds the latest decisions whose evidence a revocation list names,
// and the sweep evaluates again exactly the pull requests still open at that head, bounded and resumable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EvidenceIndex, type RevokedKeys } from "../../src/adapters/storage/evidence-index.js";
import { SqlSweepState } from "../../src/adapters/storage/revocation-state.js";
import type { ConfigText } from "../../src/adapters/github/config-source.js";
import type { PullRequestTrigger } from "../../src/adapters/github/triggers.js";
import { REVOCATIONS_PATH } from "../../src/config/revocations.js";
import { sha256Hex } from "../../src/core/digest.js";
import type { AuditEvent } from "../../src/core/audit.js";
import { sweepRevocations } from "../../src/app/revocation-sweep.js";
import { sampleEvent } from "../adapters/storage/events.js";
import { onBothDatabases } from "../adapters/storage/audit-log-suites.js";

const IDENTITY = "https://github.com/acme/agents/.github/workflows/agent.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const FP = `sha256:${"ab".repeat(32)}`;
const TBS = `sha256:${"cd".repeat(32)}`;

interface Att {
  model?: string;
  version?: string;
  agent?: string;
  identity?: string;
  fingerprint?: string;
  tbs?: string;
  tier?: string;
  logIndex?: string;
}

/** A pull-request decision of `repository` #`pull` at `head`, its commit attested as `att` says. */
function decision(i: number, repository: string, pull: number, head: string, att: Att): AuditEvent {
  const base = sampleEvent(i);
  const attestation = {
    tier: att.tier ?? "sigstore",
    signer: { type: "certificate", identity: att.identity ?? IDENTITY, issuer: ISSUER, extensions: {}, ...(att.fingerprint ? { certificate_fingerprint: att.fingerprint } : {}), ...(att.tbs ? { certificate_tbs_fingerprint: att.tbs } : {}) },
    agent: { name: att.agent ?? "claude-code", version: "2.1.0" },
    model: { id: att.model ?? "anthropic/claude-sonnet-4-5", ...(att.version ? { version: att.version } : {}) },
    rekor_log_index: att.logIndex ?? String(1000 + i),
    rekor_log_id: "c0d23d6ad406973f",
  };
  return {
    ...base,
    input: { kind: "pull_request", pull_request: { number: pull, head_sha: head }, commits: [{ sha: head, attestations: [attestation], provenance: { status: "attested" } }] },
    agent_gate: { ...base.agent_gate, repository, pull_request: pull, head_sha: head },
  };
}

const sha = (n: number): string => n.toString(16).padStart(40, "0");

/** GitHub as the sweep reads it: the revocation file, and each pull request's state and head. */
function fakeGitHub(list: { text: string | null }, pulls: Map<string, { state: string; head: string }>) {
  const asked: string[] = [];
  return {
    asked,
    repoConfig: () => Promise.resolve(null),
    configFile: (owner: string, repo: string, path: string): Promise<ConfigText | null> => {
      assert.equal(`${repo}:${path}`, `.github:${REVOCATIONS_PATH}`);
      if (list.text === null) return Promise.resolve(null);
      return Promise.resolve({ text: list.text, source: `${owner}/.github:${path} (default branch)`, repo, path, digest: `sha256:${sha256Hex(list.text)}` });
    },
    pull: (owner: string, repo: string, n: number): Promise<unknown> => {
      asked.push(`${owner}/${repo}#${n}`);
      const p = pulls.get(`${owner}/${repo}#${n}`);
      return Promise.resolve({ number: n, state: p?.state ?? "closed", head: { sha: p?.head ?? sha(0) } });
    },
  };
}

onBothDatabases("revocation sweep", (withLog) => {
  withLog("the index finds the latest matching decision per pull request and head, of the owner only", async ({ db, log }) => {
    await log.append(decision(1, "acme/app", 1, sha(1), {}));
    await log.append(decision(2, "acme/app", 2, sha(2), { model: "openai/gpt-5" }));
    await log.append(decision(3, "acme/app", 1, sha(1), {})); // the same head again: one result, its latest record
    await log.append(decision(4, "Acme/Web", 7, sha(7), { version: "20250929", fingerprint: FP, tier: "signed-commit" }));
    await log.append(decision(5, "other/app", 1, sha(9), {})); // another owner
    const index = new EvidenceIndex(db);
    const none = { signers: [], certificates: [], rekorEntries: [], rekorUuids: [], models: [], agents: [], commitKeys: [] };
    const model = { ...none, models: [{ model: "Anthropic/Claude-Sonnet-4-5" }] };
    assert.deepEqual(
      (await index.pulls("acme", model, { limit: 10 })).map((p) => [p.repository, p.pullNumber, p.seq]),
      [["acme/web", 7, 4], ["acme/app", 1, 3]],
    );
    // #1's model carries no version: nothing shows it is another version than the one revoked.
    assert.deepEqual((await index.pulls("acme", { ...none, models: [{ model: "anthropic/claude-sonnet-4-5", version: "20250929" }] }, { limit: 10 })).map((p) => p.seq), [4, 3]);
    assert.deepEqual((await index.pulls("acme", model, { limit: 10, beforeSeq: 4 })).map((p) => p.seq), [3], "the cursor leaves what was swept");
    assert.deepEqual((await index.pulls("acme", { ...none, commitKeys: [FP] }, { limit: 10 })).map((p) => p.seq), [4]);
    assert.deepEqual((await index.pulls("acme", { ...none, certificates: [FP] }, { limit: 10 })).map((p) => p.seq), [4]);
    assert.deepEqual((await index.pulls("acme", { ...none, rekorEntries: [{ logId: "C0D23D6AD406973F", logIndex: "1002" }] }, { limit: 10 })).map((p) => p.seq), [2]);
    assert.deepEqual((await index.pulls("acme", { ...none, agents: [{ name: "claude-code", version: "2.0.0" }] }, { limit: 10 })), []);
    assert.deepEqual((await index.pulls("acme", { ...none, signers: [{ identity: IDENTITY, issuer: ISSUER, key: null }] }, { limit: 10 })).length, 3);
    assert.deepEqual(await index.pulls("acme", none, { limit: 10 }), [], "nothing revoked matches nothing");
    assert.deepEqual(await index.signers("acme"), [{ identity: IDENTITY, issuer: ISSUER, key: null }]);
  });

  withLog("a certificate is found by its TBS fingerprint or its DER's, as the policy matches it", async ({ db, log }) => {
    const der = `sha256:${"ef".repeat(32)}`;
    await log.append(decision(1, "acme/app", 1, sha(1), { fingerprint: der, tbs: TBS }));
    await log.append(decision(2, "acme/app", 2, sha(2), { fingerprint: `sha256:${"01".repeat(32)}`, tbs: TBS })); // re-encoded: another DER
    await log.append(decision(3, "acme/app", 3, sha(3), { fingerprint: der, tbs: TBS, tier: "signed-commit" }));
    await log.append(decision(4, "acme/app", 4, sha(4), { fingerprint: FP })); // recorded before the TBS fingerprint
    const index = new EvidenceIndex(db);
    const none: RevokedKeys = { signers: [], certificates: [], rekorEntries: [], rekorUuids: [], models: [], agents: [], commitKeys: [] };
    const seqs = async (keys: Partial<RevokedKeys>): Promise<number[]> => (await index.pulls("acme", { ...none, ...keys }, { limit: 10 })).map((p) => p.seq);
    assert.deepEqual(await seqs({ certificates: [TBS.replace("cd", "CD")] }), [3, 2, 1], "every encoding of the certificate");
    assert.deepEqual(await seqs({ certificates: [der] }), [3, 1], "a DER fingerprint: those bytes");
    assert.deepEqual(await seqs({ certificates: [FP] }), [4]);
    assert.deepEqual(await seqs({ commitKeys: [TBS] }), [3, 2, 1], "by TBS any attestation of the certificate (the policy keeps signed commits)");
    assert.deepEqual(await seqs({ commitKeys: [der] }), [3]);
  });

  withLog("models and agents match as the policy matches them: dated ids, versions without separators, no version", async ({ db, log }) => {
    await log.append(decision(1, "acme/app", 1, sha(1), { model: "anthropic/claude-sonnet-4-5-20250929", version: "1" }));
    await log.append(decision(2, "acme/app", 2, sha(2), { model: "anthropic/claude-sonnet-4-5", version: "2025-05-14" }));
    await log.append(decision(3, "acme/app", 3, sha(3), { model: "anthropic/claude-sonnet-4-50", version: "20250929" }));
    await log.append(decision(4, "acme/app", 4, sha(4), { model: "Anthropic/Claude-Sonnet-4-5@20250929", version: "2025-09-29", agent: "Claude-Code" }));
    const index = new EvidenceIndex(db);
    const none: RevokedKeys = { signers: [], certificates: [], rekorEntries: [], rekorUuids: [], models: [], agents: [], commitKeys: [] };
    const seqs = async (keys: Partial<RevokedKeys>): Promise<number[]> => (await index.pulls("acme", { ...none, ...keys }, { limit: 10 })).map((p) => p.seq);
    assert.deepEqual(await seqs({ models: [{ model: " Anthropic/claude-sonnet-4-5" }] }), [4, 2, 1], "every version: the name and the name followed by -, @ or :, not -4-50");
    assert.deepEqual(await seqs({ models: [{ model: "anthropic/claude-sonnet-4-5", version: "20250929" }] }), [4, 1], "the version as the id's suffix");
    assert.deepEqual(await seqs({ models: [{ model: "anthropic/claude-sonnet-4-5", version: "2025.05.14" }] }), [2], "separators ignored");
    assert.deepEqual(await seqs({ models: [{ model: "anthropic/claude-sonnet-4-50", version: "20250929" }, { model: "openai/gpt-5" }] }), [3]);
    assert.deepEqual(await seqs({ agents: [{ name: "claude-code", version: "2-1-0" }] }), [4, 3, 2, 1]);
    assert.deepEqual(await seqs({ agents: [{ name: "claude-code", version: "2.0.0" }] }), []);
  });

  withLog("records from before the index are indexed by the first sweep's backfill, each once", async ({ db, log }) => {
    for (let i = 1; i <= 5; i++) await log.append(decision(i, "acme/app", i, sha(i), {}));
    // As a database migrated from before the index: no rows, and every record left to backfill.
    await db.exec("ALTER TABLE audit_evidence DISABLE TRIGGER USER; DELETE FROM audit_evidence; ALTER TABLE audit_evidence ENABLE TRIGGER USER");
    await db.query("UPDATE audit_evidence_backfill SET upto = 5, next = 1");
    await log.append(decision(6, "acme/app", 6, sha(6), {}));
    const index = new EvidenceIndex(db);
    assert.equal(await index.backfill(), true);
    assert.equal(await index.backfill(), true, "a second backfill finds nothing left");
    const [count] = await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_evidence");
    assert.equal(Number(count!.n), 6);
  });

  withLog("a sweep re-evaluates the open pull requests at the recorded head, remembers the list, and resumes when cut short", async ({ db, log }) => {
    for (let i = 1; i <= 5; i++) await log.append(decision(i, "acme/app", i, sha(i), {}));
    await log.append(decision(6, "acme/app", 6, sha(6), { model: "openai/gpt-5" }));
    const pulls = new Map([
      ["acme/app#1", { state: "open", head: sha(1) }],
      ["acme/app#2", { state: "open", head: sha(22) }], // moved on: judged at its new head on its own
      ["acme/app#3", { state: "closed", head: sha(3) }],
      ["acme/app#4", { state: "open", head: sha(4) }],
      ["acme/app#5", { state: "open", head: sha(5) }],
      ["acme/app#6", { state: "open", head: sha(6) }],
    ]);
    const list = { text: `models:\n  - model: anthropic/claude-sonnet-4-5\n    reason: compromised\n` as string | null };
    const github = fakeGitHub(list, pulls);
    const evaluated: string[] = [];
    const opts = {
      index: new EvidenceIndex(db),
      state: new SqlSweepState(db),
      installationId: 42,
      maxPulls: 3,
      evaluate: (t: PullRequestTrigger, id: string) => {
        assert.match(id, /^revocation:/);
        evaluated.push(`#${t.pullNumbers[0]}@${t.headSha?.slice(-2)}`);
        return Promise.resolve();
      },
    };
    const first = await sweepRevocations(github, "acme", opts);
    assert.equal(first.truncated, true);
    assert.deepEqual(evaluated, ["#5@05", "#4@04"]);
    assert.deepEqual(first.skipped.map((s) => s.split("@")[0]), ["acme/app#3"]);
    const second = await sweepRevocations(github, "acme", opts);
    assert.equal(second.truncated, false);
    assert.deepEqual(evaluated, ["#5@05", "#4@04", "#1@01"], "resumed after #3; #2 moved on; #6 names another model");
    const third = await sweepRevocations(github, "acme", opts);
    assert.equal(third.unchanged, true, "the same list is not swept twice");
    // A new list (a missed push, caught by reconciliation): swept from the newest again.
    list.text = `${list.text}agents:\n  - name: claude-code\n`;
    evaluated.length = 0;
    const fourth = await sweepRevocations(github, "acme", { ...opts, maxPulls: 10 });
    assert.equal(fourth.unchanged, false);
    assert.deepEqual(evaluated, ["#6@06", "#5@05", "#4@04", "#1@01"]);
    // The list removed: nothing to sweep, remembered.
    list.text = null;
    const fifth = await sweepRevocations(github, "acme", opts);
    assert.equal(fifth.digest, "none");
    assert.equal((await sweepRevocations(github, "acme", opts)).unchanged, true);
  });

  withLog("a broken list is refused with its file and line; nothing is remembered as swept", async ({ db }) => {
    const github = fakeGitHub({ text: "models:\n  - model: not-a-model-id\n" }, new Map());
    const state = new SqlSweepState(db);
    await assert.rejects(
      sweepRevocations(github, "acme", { index: new EvidenceIndex(db), state, installationId: 1, evaluate: () => Promise.resolve() }),
      (e: Error & { code?: string }) => e.code === "CONFIG_INVALID" && /acme\/\.github:\.github\/agent-gate-revocations\.yml.*models\.0\.model.*line 2/.test(e.message),
    );
    assert.equal(await state.get("acme"), undefined);
  });
}, { timeout: 120000 });

test("revokedKeys: signer identities without case, patterns without case, a platform signer by any login of its account", async () => {
  const { revokedKeys } = await import("../../src/app/revocation-sweep.js");
  const known = [
    { identity: "alice@example.com", issuer: "https://accounts.google.com", key: null },
    { identity: "copilot-swe-agent[bot]", issuer: "https://github.com", key: null },
    { identity: "bob@example.com", issuer: "https://accounts.google.com", key: null },
  ];
  const list = (signers: unknown[]) => ({ signers, certificates: [], rekor_entries: [], models: [], agents: [], commit_keys: [], source: "s", digest: "d" }) as never;
  const ids = (signers: unknown[]) => revokedKeys(list(signers), known).signers.map((s) => s.identity);
  assert.deepEqual(ids([{ identity: "Alice@Example.com", issuer: "https://accounts.google.com" }]), ["alice@example.com"]);
  assert.deepEqual(ids([{ identity_pattern: "ALICE@.*", issuer: "https://accounts.google.com" }]), ["alice@example.com"]);
  assert.deepEqual(ids([{ identity: "Copilot", issuer: "https://github.com" }]), ["copilot-swe-agent[bot]"]);
  assert.deepEqual(ids([{ identity: "claude[bot]", issuer: "https://github.com" }]), []);
});
