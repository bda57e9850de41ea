// root-facts.ts: facts derived from a trusted root's exact bytes (it passed the lint, its CA links), kept beside the
// code cache between runs of verify-bundle. A fact may skip work but never make another root pass: a file that is
// tampered with, another root's, another build's or unreadable is ignored, and an unwritable directory costs the
// work only.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentGateError } from "../../../src/core/errors.js";
import { RootFacts } from "../../../src/adapters/sigstore/root-facts.js";
import type { FactsStore } from "../../../src/adapters/sigstore/root-facts.js";
import { loadRootFile } from "../../../src/adapters/sigstore/trusted-root.js";
import { verifyBundleCommand } from "../../../src/cli/verify-bundle.js";

const CASE = "fixtures/sigstore/cases/c05-dsse-intoto-slsa-v0.3";
const ROOT = `${CASE}/trusted_root.json`;
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ARGS = ["--bundle", `${CASE}/bundle.sigstore.json`, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--trusted-root", ROOT, `${CASE}/artifact`];
const BUILD = "a".repeat(64);

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "ag-root-facts-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const factsFile = (dir: string, bytes: Buffer, build = BUILD): string => join(dir, `trust-facts-${sha(bytes).slice(0, 32)}-${build.slice(0, 16)}.json`);
function store(name: string): FactsStore {
  const dir = join(work, name);
  mkdirSync(dir);
  return { dir, build: BUILD };
}
async function verify(s: FactsStore | undefined, args = ARGS): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await verifyBundleCommand(args, { out: () => {}, err: (t) => err.push(t) }, s);
  return { code, err };
}

test("a root's lint and CA links are kept after a run and vouch for the same bytes under the same build only", async () => {
  const s = store("kept");
  const bytes = readFileSync(ROOT);
  assert.equal((await verify(s)).code, 0);
  const file = JSON.parse(readFileSync(factsFile(s.dir, bytes), "utf8")) as { root: string; build: string; lint: string; links: Record<string, unknown> };
  assert.equal(file.root, sha(bytes));
  assert.equal(file.build, BUILD);
  assert.equal(file.lint, "passed");
  assert.ok(Object.keys(file.links).length >= 1, "the CA links of the chain that issued the leaf");
  assert.equal(new RootFacts(s).known(bytes), true);
  assert.equal(new RootFacts({ dir: s.dir, build: "b".repeat(64) }).known(bytes), false, "another build derives its own facts");
  assert.equal(new RootFacts(undefined).known(bytes), false);
  // a second run verifies from the facts, and a later build's file replaces the earlier one
  assert.equal((await verify(s)).code, 0);
  assert.equal((await verify({ dir: s.dir, build: "c".repeat(64) })).code, 0);
  assert.deepEqual(readdirSync(s.dir).filter((f) => f.startsWith("trust-facts-")), [factsFile(s.dir, bytes, "c".repeat(64)).slice(s.dir.length + 1)]);
});

test("a tampered facts file is ignored: the root is linted again and the file rewritten", async () => {
  const s = store("tampered");
  const bytes = readFileSync(ROOT);
  assert.equal((await verify(s)).code, 0);
  const path = factsFile(s.dir, bytes);
  const good = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const forgeries: [string, string][] = [
    ["garbage", "{not json"],
    ["another root's digest inside", JSON.stringify({ ...good, root: "0".repeat(64) })],
    ["another build inside", JSON.stringify({ ...good, build: "b".repeat(64) })],
    ["a lint that did not pass", JSON.stringify({ ...good, lint: "failed" })],
    ["links that are not indices", JSON.stringify({ ...good, links: { [Object.keys(good.links as object)[0]!]: [[["x"]]] } })],
    ["a link keyed by no digest", JSON.stringify({ ...good, links: { chain: [[[0]]] } })],
    ["an array", "[]"],
  ];
  for (const [what, text] of forgeries) {
    writeFileSync(path, text);
    assert.equal(new RootFacts(s).known(bytes), false, what);
    assert.equal((await verify(s)).code, 0, what);
    assert.equal(new RootFacts(s).known(bytes), true, `${what}: rewritten`);
  }
});

test("another root's facts never vouch for a root that fails the lint", () => {
  const s = store("other-root");
  const good = readFileSync(ROOT);
  const facts = new RootFacts(s);
  loadRootFile(ROOT, facts);
  facts.save();
  const bad = JSON.parse(good.toString("utf8")) as { tlogs: { publicKey: { validFor: { start?: string } } }[] };
  delete bad.tlogs[0]!.publicKey.validFor.start;
  const badPath = join(work, "bad-root.json");
  const badBytes = Buffer.from(JSON.stringify(bad));
  writeFileSync(badPath, badBytes);
  // the good root's file under the bad root's name, and a forged file of the bad root from another build
  copyFileSync(factsFile(s.dir, good), factsFile(s.dir, badBytes));
  const refused = (e: unknown): boolean => e instanceof AgentGateError && e.code === "TRUSTED_ROOT_INVALID" && /is refused: tlogs\[0\]\.publicKey\.validFor\.start is missing/.test(e.message);
  assert.throws(() => loadRootFile(badPath, new RootFacts(s)), refused);
  const forged = JSON.parse(readFileSync(factsFile(s.dir, good), "utf8")) as Record<string, unknown>;
  writeFileSync(factsFile(s.dir, badBytes), JSON.stringify({ ...forged, root: sha(badBytes), build: "b".repeat(64) }));
  assert.throws(() => loadRootFile(badPath, new RootFacts(s)), refused);
  assert.throws(() => loadRootFile(badPath), refused);
});

test("an unwritable or missing directory still verifies (the facts are derived again)", async () => {
  const notDir = join(work, "a-file");
  writeFileSync(notDir, "");
  for (const dir of [notDir, join(work, "missing", "dir")]) {
    const s = { dir, build: BUILD };
    assert.equal((await verify(s)).code, 0, dir);
    assert.equal(new RootFacts(s).known(readFileSync(ROOT)), false);
  }
  // a build that is not a digest keeps nothing
  const odd = store("odd-build");
  assert.equal((await verify({ dir: odd.dir, build: "../x" })).code, 0);
  assert.deepEqual(readdirSync(odd.dir), []);
});

test("a failed verification keeps the root's facts and still fails", async () => {
  const s = store("failed");
  const r = await verify(s, ARGS.map((a) => (a === IDENTITY ? "https://example.com/other" : a)));
  assert.equal(r.code, 1);
  assert.match(r.err.join("\n"), /IDENTITY_MISMATCH/);
  assert.equal(new RootFacts(s).known(readFileSync(ROOT)), true);
  assert.equal((await verify(s, ARGS.map((a) => (a === IDENTITY ? "https://example.com/other" : a)))).code, 1);
});

test("bin/agent-gate.js keeps the facts beside its code cache; links that do not fit the chain are ignored", { skip: !existsSync("dist/bundle/verify-bundle.cjs") && "run `npm run build` first" }, () => {
  const base = join(work, "bin-tmp");
  mkdirSync(base);
  const run = (): number | null => spawnSync(process.execPath, ["bin/agent-gate.js", "verify-bundle", ...ARGS], { env: { ...process.env, TMPDIR: base }, stdio: "ignore" }).status;
  assert.equal(run(), 0);
  const dir = join(base, `agent-gate-code-cache-${process.getuid?.() ?? "user"}`);
  const name = readdirSync(dir).find((f) => f.startsWith(`trust-facts-${sha(readFileSync(ROOT)).slice(0, 32)}-`));
  assert.ok(name, "the facts file sits beside the code cache");
  const path = join(dir, name);
  const facts = JSON.parse(readFileSync(path, "utf8")) as { links: Record<string, unknown[]> };
  const [chain, links] = Object.entries(facts.links)[0]!;
  // the intermediate claimed to be its own root, an index past the chain, a chain of another length, a path that
  // does not end at its root twice
  for (const wrong of [[[[0]], [[1]]], [[[1, 7]], [[1]]], [[[1]]], [[[1]], [[1]]]]) {
    writeFileSync(path, JSON.stringify({ ...facts, links: { [chain]: wrong } }));
    assert.equal(run(), 0, JSON.stringify(wrong));
  }
  writeFileSync(path, JSON.stringify({ ...facts, links: { [chain]: links } }));
  assert.equal(run(), 0);
});
