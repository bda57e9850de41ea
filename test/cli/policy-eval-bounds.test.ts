// agent-gate policy eval holds the App's bounds: a config over the App's 64 KiB cap is refused unread, an evaluation
// past its deadline is stopped and fails closed (exit 2), and a hostile config is a config error with its line.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, mock } from "node:test";
import { main } from "../../src/cli/main.js";
import { costlyCase } from "../adapters/opa/costly.js";
import { loadCases } from "../policies/support.js";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = mock.method(console, "log", () => undefined);
  const error = mock.method(console, "error", () => undefined);
  try {
    const code = await main(args);
    const text = (m: typeof log) => m.mock.calls.map((c) => c.arguments.map(String).join(" ")).join("\n");
    return { code, out: text(log), err: text(error) };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

describe("agent-gate policy eval: the App's bounds", () => {
  let dir = "";
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), "agent-gate-cli-bounds-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const input = () => file("pr.json", JSON.stringify(loadCases().find((c) => c.name === "pr-signed-agent-passes")?.input));

  it("a --config over 64 KiB is refused as the App refuses it", async () => {
    const big = file("big.yml", `# ${"x".repeat(70_000)}\n`);
    const r = await run(["policy", "eval", "--input", input(), "--config", big]);
    assert.equal(r.code, 2);
    assert.match(r.err, /big\.yml is 70003 bytes; expected at most 65536 \(64 KiB\), the App's cap/);
    assert.equal((await run(["policy", "eval", "--input", input(), "--config", file("ok.yml", `# ${"x".repeat(60_000)}\n`)])).code, 1, "under the cap: evaluated (denied by the defaults)");
  });

  it("an alias bomb in --config is a config error with its line", async () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f"].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`)].join("\n");
    const r = await run(["policy", "eval", "--input", input(), "--config", file("bomb.yml", bomb)]);
    assert.equal(r.code, 2);
    assert.match(r.err, /bomb\.yml: \(document\): invalid YAML: aliases expand to more than 100 copies .*\(line 2, column \d+\)/);
  });

  it("an evaluation past --deadline-ms is stopped and fails closed; a bad deadline is a usage error", async () => {
    const { input: costly, data } = costlyCase();
    const r = await run(["policy", "eval", "--input", file("costly.json", JSON.stringify(costly)), "--data", file("data.json", JSON.stringify(data)), "--deadline-ms", "1"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /the policy could not be evaluated in time: agent_gate\/pull_request\/decision ran past its deadline of 1 ms/);
    assert.equal(r.out, "", "no decision is printed");
    const bad = await run(["policy", "eval", "--input", input(), "--deadline-ms", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--deadline-ms: expected a whole number of milliseconds, got "soon"/);
  });
});
