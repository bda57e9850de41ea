import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  GENESIS,
  GENESIS_HASH,
  MASK_PROMPT,
  MASK_SECRET,
  auditEventFromDecision,
  auditEventFromError,
  evidenceOf,
  canonicalize,
  chainRecord,
  explainLink,
  fromRow,
  maskEvent,
  parseCheckpoint,
  toRow,
  verifyChain,
} from "../../src/core/audit.js";
import type { AuditRecord, Checkpoint, StoredRow } from "../../src/core/audit.js";
import type { Decision } from "../../src/core/decision.js";
import { readFileSync } from "node:fs";
import { pullRequestInput } from "../../src/core/policy-input.js";
import { LEAKED_TOKEN, PROMPT, sampleEvent } from "../adapters/storage/events.js";

describe("canonical JSON (RFC 8785)", () => {
  test("matches the RFC's own example (section 3.2.2)", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    ) as unknown;
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test("sorts keys by UTF-16 code units (section 3.2.3)", () => {
    const input = { "\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7 };
    const keys = Object.keys(JSON.parse(canonicalize(input)) as object);
    // JSON.parse of an integer-like key moves it first, so compare the serialised order instead.
    assert.equal(canonicalize(input), '{"\\r":2,"1":4,"\u0080":6,"ö":7,"€":1,"😀":5,"דּ":3}');
    assert.equal(keys.length, 7);
  });

  test("serialises numbers as ECMAScript does (appendix B)", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [-0, "0"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [9007199254740992, "9007199254740992"],
      [1e21, "1e+21"],
      [1e20, "100000000000000000000"],
      [0.000001, "0.000001"],
      [1e-7, "1e-7"],
      [-1.5, "-1.5"],
    ];
    for (const [n, s] of cases) assert.equal(canonicalize(n), s, String(n));
  });

  test("refuses what is not JSON data instead of guessing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    for (const bad of [NaN, Infinity, 1n, new Date(0), new Map(), "\ud800", { "\udc00": 1 }, [undefined], cyclic, () => 1]) {
      assert.throws(() => canonicalize(bad), { code: "AUDIT_NOT_JSON" }, typeof bad);
    }
    assert.equal(canonicalize({ a: undefined, b: 1 }), '{"b":1}');
  });

  test("is a fixed point and ignores key order (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const c = canonicalize(v);
        assert.equal(canonicalize(JSON.parse(c)), c);
        if (typeof v === "object" && v !== null && !Array.isArray(v)) {
          const reversed = Object.fromEntries(Object.entries(v).reverse());
          assert.equal(canonicalize(reversed), c);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("hash chain", () => {
  test("hash = sha256(prev_hash || canonical(record without hash))", () => {
    const { record, text } = chainRecord(sampleEvent(1), GENESIS);
    assert.equal(record.seq, 1);
    assert.equal(record.prev_hash, GENESIS_HASH);
    const { hash, ...rest } = record;
    assert.equal(text, canonicalize(rest));
    assert.equal(hash, createHash("sha256").update(GENESIS_HASH + text).digest("hex"));
    const next = chainRecord(sampleEvent(2), { seq: 1, hash });
    assert.equal(next.record.seq, 2);
    assert.equal(next.record.prev_hash, hash);
  });

  test("a row round-trips to the same record", () => {
    const { record } = chainRecord(sampleEvent(3), GENESIS);
    assert.deepEqual(fromRow(toRow(record)), record);
  });
});

describe("masking before storage", () => {
  test("prompt text and secret-like values are masked and their paths recorded", () => {
    const { record, text } = chainRecord(sampleEvent(1), GENESIS);
    assert.ok(!text.includes(PROMPT), "prompt text stored");
    assert.ok(!text.includes(LEAKED_TOKEN), "token stored");
    assert.ok(!text.includes("hunter22"), "secret under a secret-named key stored");
    assert.deepEqual(record.masked, ["/input/commits/0/message", "/input/commits/0/provenance/prompt/text", "/input/settings/api_key", "/input/system_prompt"]);
    const input = record.input as { commits: { message: string; provenance: { prompt: { text: string; digest: string } } }[]; system_prompt: string; settings: { api_key: string } };
    assert.equal(input.commits[0]!.message, "fix: use token [REDACTED:github-token]");
    assert.equal(input.commits[0]!.provenance.prompt.text, MASK_PROMPT);
    assert.equal(input.commits[0]!.provenance.prompt.digest, "sha256:" + "cd".repeat(32), "a prompt's digest is not prompt text");
    assert.equal(input.system_prompt, MASK_PROMPT);
    assert.equal(input.settings.api_key, MASK_SECRET);
  });

  test("prompt keys are told from look-alikes", () => {
    const input = { systemPrompt: "a", prompt_text: "b", prompts: ["c"], user_prompt: "d", promptText: "e", prompter: { login: "alice" }, prompter_login: "bob", prompt: { digest: "sha256:00", text: "f" } };
    const { masked } = maskEvent(sampleEvent(1, { input }));
    assert.deepEqual(masked, ["/input/prompt/text", "/input/promptText", "/input/prompt_text", "/input/prompts/0", "/input/systemPrompt", "/input/user_prompt"]);
  });

  test("identity fields and clean text are left alone", () => {
    const e = sampleEvent(2, { input: { title: "plain title" } });
    const { value, masked } = maskEvent(e);
    assert.deepEqual(masked, []);
    assert.deepEqual(value, e);
  });

  test("masking the same event twice gives the same record content", () => {
    assert.equal(canonicalize(maskEvent(sampleEvent(5)).value), canonicalize(maskEvent(sampleEvent(5)).value));
  });
});

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let head: Checkpoint = GENESIS;
  for (let i = 1; i <= n; i++) {
    const { record } = chainRecord(sampleEvent(i), head);
    out.push(record);
    head = { seq: record.seq, hash: record.hash };
  }
  return out;
}
const rows = (n: number): StoredRow[] => chain(n).map(toRow);
const headOf = (rs: StoredRow[]): Checkpoint => ({ seq: rs.at(-1)!.seq, hash: rs.at(-1)!.hash });

describe("chain verification: each attack is detected and located", () => {
  test("an intact chain verifies, from the start and from a checkpoint", () => {
    const rs = rows(10);
    assert.deepEqual(verifyChain(rs, GENESIS, [headOf(rs)]), { ok: true, checked: 10, first: 1, head: headOf(rs) });
    const r = verifyChain(rs.slice(4), { seq: 4, hash: rs[3]!.hash });
    assert.ok(r.ok && r.checked === 6 && r.first === 5);
    assert.deepEqual(verifyChain([]), { ok: true, checked: 0, first: 0, head: GENESIS });
  });

  test("when a record's content is edited", () => {
    const rs = rows(6);
    const edited = rs[1]!.record.replace('"conclusion":"success"', '"conclusion":"failure"');
    assert.notEqual(edited, rs[1]!.record);
    rs[1] = { ...rs[1]!, record: edited };
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 2 && r.code === "HASH_MISMATCH", JSON.stringify(r));
  });

  test("when a record is edited into non-canonical JSON", () => {
    const rs = rows(4);
    rs[1] = { ...rs[1]!, record: rs[1]!.record.replace("{", "{ ") };
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 2 && r.code === "NOT_CANONICAL");
  });

  test("when a record is edited and rehashed, the next link breaks", () => {
    const recs = chain(5);
    const edited = chainRecord({ ...sampleEvent(3), result: { allow: true, deny: [], warn: [] } }, { seq: 2, hash: recs[1]!.hash });
    const rs = recs.map(toRow);
    rs[2] = toRow(edited.record);
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 4 && r.code === "LINK_MISMATCH", JSON.stringify(r));
  });

  test("when a record is deleted", () => {
    const rs = rows(6);
    rs.splice(3, 1);
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 4 && r.code === "RECORDS_MISSING" && /record 4 is missing/.test(r.reason), JSON.stringify(r));
  });

  test("when the first records are deleted", () => {
    const rs = rows(4).slice(2);
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 1 && r.code === "RECORDS_MISSING" && /records 1 to 2 are missing/.test(r.reason), JSON.stringify(r));
  });

  test("when two records swap places (their seq columns exchanged)", () => {
    const rs = rows(6);
    const a = rs[2]!;
    const b = rs[3]!;
    rs[2] = { ...b, seq: 3 };
    rs[3] = { ...a, seq: 4 };
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 3 && r.code === "REORDERED" && /written as record 4/.test(r.reason), JSON.stringify(r));
  });

  test("when records are reordered and renumbered, the link names where the record was written", () => {
    const recs = chain(6);
    // The attacker renumbers record 5 to seq 4 and rehashes it (keeping its prev_hash): record 4 is dropped.
    const moved = { ...recs[4]!, seq: 4 };
    const { hash: _h, ...unhashed } = moved;
    const text = canonicalize(unhashed);
    const rs = [...recs.slice(0, 3).map(toRow), { seq: 4, prev_hash: moved.prev_hash, hash: createHash("sha256").update(moved.prev_hash + text).digest("hex"), record: text, decision_id: moved.decision_id }];
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.code === "LINK_MISMATCH" && r.seq === 4, JSON.stringify(r));
    const explained = explainLink(r, 4);
    assert.ok(!explained.ok && explained.code === "REORDERED" && /follow record 4, not record 3/.test(explained.reason));
    assert.equal(explainLink(r, undefined), r);
  });

  test("when an indexed column is edited without the record", () => {
    const rs = rows(3);
    rs[1] = { ...rs[1]!, decision_id: "dec-forged" };
    const r = verifyChain(rs);
    assert.ok(!r.ok && r.seq === 2 && r.code === "COLUMN_MISMATCH");
  });

  test("when a further indexed column disagrees with the record", () => {
    const rs = rows(3);
    const r1 = rs[1]!;
    assert.equal(verifyChain([rs[0]!, { ...r1, columns: { repository: "acme/app", ts: sampleEvent(2).timestamp } }, rs[2]!]).ok, true);
    // A NULL column where the hashed record has the field hides the record from reads by that column (the deployment gate's).
    const nulled = verifyChain([rs[0]!, { ...r1, columns: { repository: "acme/app", ts: sampleEvent(2).timestamp, kind: null } }, rs[2]!]);
    assert.ok(!nulled.ok && nulled.seq === 2 && nulled.code === "COLUMN_MISMATCH" && /kind column \(NULL\)/.test(nulled.reason), JSON.stringify(nulled));
    const r = verifyChain([rs[0]!, { ...r1, columns: { repository: "acme/elsewhere" } }]);
    assert.ok(!r.ok && r.seq === 2 && r.code === "COLUMN_MISMATCH" && /repository column/.test(r.reason));
  });

  test("when the tail is truncated, against the head pointer or a checkpoint", () => {
    const rs = rows(8);
    const head = headOf(rs);
    const r = verifyChain(rs.slice(0, 5), GENESIS, [{ ...head, source: "head pointer" }]);
    assert.ok(!r.ok && r.seq === 6 && r.code === "TRUNCATED" && /records 6 to 8 were removed/.test(r.reason) && /head pointer/.test(r.reason), JSON.stringify(r));
    // Without any pointer a truncated chain is indistinguishable from a shorter one: the documented limit.
    assert.equal(verifyChain(rs.slice(0, 5)).ok, true);
  });

  test("when the whole history is rewritten, only a checkpoint kept elsewhere tells", () => {
    const original = rows(5);
    // Rewrite from record 2 on with a different decision, rehashing everything after it.
    let head: Checkpoint = { seq: 1, hash: original[0]!.hash };
    const rewritten: StoredRow[] = [original[0]!];
    for (let i = 2; i <= 5; i++) {
      const { record } = chainRecord(sampleEvent(i, i === 2 ? { agent_gate: { ...sampleEvent(2).agent_gate, conclusion: "failure" } } : {}), head);
      rewritten.push(toRow(record));
      head = { seq: record.seq, hash: record.hash };
    }
    assert.equal(verifyChain(rewritten).ok, true, "a consistent rewrite verifies on its own");
    const r = verifyChain(rewritten, GENESIS, [{ seq: 3, hash: original[2]!.hash, source: "external" }]);
    assert.ok(!r.ok && r.seq === 3 && r.code === "CHECKPOINT_MISMATCH", JSON.stringify(r));
  });

  test("when the first record does not start from genesis", () => {
    const recs = chain(3);
    const r = verifyChain([toRow({ ...recs[1]!, seq: 1 })]);
    assert.ok(!r.ok && r.seq === 1);
  });

  test("when a file repeats a record", () => {
    const rs = rows(3);
    const r = verifyChain([rs[0]!, rs[1]!, rs[1]!, rs[2]!]);
    assert.ok(!r.ok && r.code === "OUT_OF_ORDER" && r.seq === 2);
  });
});

describe("events from decisions", () => {
  const decision: Decision = {
    allow: false,
    deny: [{ msg: "unsigned", rule: "provenance.required" }],
    warn: [],
    policy: { revision: "2026.11.26", digest: "sha256:" + "ef".repeat(32) },
    entrypoint: "agent_gate/pull_request/decision",
    decisionId: "dec-1",
  };
  const context = sampleEvent(1).agent_gate;

  test("a decision becomes an OPA-shaped event with agent-gate's facts", () => {
    const e = auditEventFromDecision(decision, { input: { a: 1 }, decidedAt: new Date("2026-11-26T07:00:00Z"), context })!;
    assert.equal(e.path, decision.entrypoint);
    assert.deepEqual(e.bundles, { "agent-gate": { revision: "2026.11.26", digest: decision.policy.digest } });
    assert.deepEqual(e.result, { allow: false, deny: decision.deny, warn: [] });
    assert.equal(e.timestamp, "2026-11-26T07:00:00.000Z");
  });

  test("a dry run is never recorded", () => {
    assert.equal(auditEventFromDecision(decision, { input: {}, decidedAt: new Date(), context, dryRun: true }), undefined);
    assert.equal(auditEventFromError({ code: "X", message: "x" }, { ...decision, decisionId: "e" }, { input: {}, decidedAt: new Date(), context, dryRun: true }), undefined);
  });

  test("an evaluation that failed is recorded with its error", () => {
    const e = auditEventFromError({ code: "POLICY_EVAL_FAILED", message: "boom" }, decision, { input: undefined, decidedAt: new Date("2026-11-26T07:00:00Z"), context: { ...context, conclusion: "failure" } })!;
    assert.deepEqual(e.result, { error: { code: "POLICY_EVAL_FAILED", message: "boom" } });
    assert.equal(e.input, null);
    assert.equal(chainRecord(e, GENESIS).record.agent_gate.conclusion, "failure");
  });

  test("the evidence of a policy input: verified bundles, signers and Rekor indexes only", () => {
    const fixture = JSON.parse(readFileSync("fixtures/policy/pr-signed-agent-passes.json", "utf8")) as { input: unknown };
    const input = pullRequestInput(fixture.input);
    const ev = evidenceOf(input);
    const verified = input.commits.filter((c) => c.provenance.status === "verified");
    assert.ok(verified.length > 0);
    assert.equal(ev.evidence_bundle_digests.length, new Set(verified.map((c) => (c.provenance as { bundle_digest: string }).bundle_digest)).size);
    assert.ok(ev.signer_identities.every((s) => s.startsWith("https://")));
    assert.ok(ev.rekor_log_indexes.every((i) => /^\d+$/.test(i)));
  });
});

test("checkpoints parse from SEQ:HASH and JSON, and anything else is refused", () => {
  const h = "ab".repeat(32);
  assert.deepEqual(parseCheckpoint(`12:${h}`), { seq: 12, hash: h });
  assert.deepEqual(parseCheckpoint(JSON.stringify({ seq: 3, hash: h })), { seq: 3, hash: h });
  assert.throws(() => parseCheckpoint("12:abc"), { code: "AUDIT_CHECKPOINT_INVALID" });
});
