// action.yml's attest step turns the Action's inputs into `agent-gate attest` arguments. Run with a stand-in `node`
// that prints the arguments it is given: the defaults must never pass a flag attest refuses (--rekor-version without
// --rekor-url is a usage error: it had no effect), and a key is documented as needing rekor-url.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

interface Input {
  readonly description: string;
  readonly default?: string;
}
interface Action {
  readonly inputs: Record<string, Input>;
  readonly runs: { readonly steps: { readonly id?: string; readonly run?: string; readonly env?: Record<string, string> }[] };
}

const action = parse(readFileSync(new URL("../../action.yml", import.meta.url), "utf8")) as Action;
const step = action.runs.steps.find((s) => s.id === "attest")!;
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-action-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "node"), '#!/bin/sh\nshift\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(join(dir, "bin", "node"), 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The arguments the step gives attest for these inputs (the rest at their defaults). */
function argsFor(inputs: Record<string, string>): string[] {
  const env: Record<string, string> = { PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, GITHUB_ACTION_PATH: dir, GITHUB_OUTPUT: join(dir, "output") };
  for (const [name, expr] of Object.entries(step.env ?? {})) {
    const input = /^\$\{\{ inputs\.([\w-]+) \}\}$/.exec(expr)?.[1];
    if (input !== undefined) env[name] = inputs[input] ?? action.inputs[input]?.default ?? "";
  }
  // GitHub runs a composite step's bash as `bash --noprofile --norc -eo pipefail {0}`
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "");
}

const flagValue = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

test("the defaults pass no --rekor-version (it needs --rekor-url); a given rekor-version goes with its rekor-url", () => {
  const minimal = { agent: "a", "agent-version": "1", model: "p/m", "model-version": "1", "prompt-file": "p.txt" };
  const keyless = argsFor(minimal);
  assert.equal(keyless[0], "attest");
  assert.ok(!keyless.includes("--rekor-version"), keyless.join(" "));
  assert.ok(!keyless.includes("--trusted-root"));
  const v2 = argsFor({ ...minimal, key: "k.pem", "rekor-url": "https://rekor.example", "rekor-version": "2", "tsa-url": "https://tsa.example" });
  assert.deepEqual(flagValue(v2, "--rekor-version"), ["2"]);
  assert.deepEqual(flagValue(v2, "--rekor-url"), ["https://rekor.example"]);
});

test("trusted-root: a comma-separated list becomes one --trusted-root each", () => {
  const args = argsFor({ agent: "a", "agent-version": "1", model: "p/m", "model-version": "1", "prompt-file": "p.txt", "trusted-root": "private=root.json,,github" });
  assert.deepEqual(flagValue(args, "--trusted-root"), ["private=root.json", "github"]);
});

test("the key input says it needs rekor-url", () => {
  assert.match(action.inputs["key"]!.description, /needs rekor-url/);
  assert.equal(action.inputs["rekor-version"]!.default, "");
});
