// The installable package, as a platform team installs it: `npm pack` (prepack builds dist/) in a copy of the
// repository, the tarball installed with production dependencies only in an empty folder, and the CLI run from
// there; and `npm ci --omit=dev` from the lock file (it failed with exit 127 while `prepare` ran tsc).
// Installs come from the npm cache (`--prefer-offline`): `npm ci` in the clone already put every package there.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = new URL("../../", import.meta.url).pathname;
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; files: string[]; scripts: Record<string, string> };
const CASES = join(ROOT, "fixtures/sigstore/cases");
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
// What `npm pack` reads: the sources to build and what `files` ships (node_modules is linked, not copied).
const COPIED = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "src", "bin", "trust", "app.yml", "policies/bundle.tar.gz", "fixtures/scenarios", "fixtures/deployments", "fixtures/github", "scripts/bundle-cli.mjs"];
const NPM_QUIET = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

let dir = "";
let tarball = "";
let packed: { path: string }[] = [];
let consumer = "";

// npm run by `npm test` passes its own settings down as npm_config_*; these installs must not inherit them.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env, timeout: 240_000 });
}
const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}${r.error ? ` (${r.error.message})` : ""}\n${r.stdout}\n${r.stderr}`.slice(-4000);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "agent-gate-pack-"));
  const repo = join(dir, "repo");
  for (const p of COPIED) cpSync(join(ROOT, p), join(repo, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"));
  // `npm pack` as a maintainer runs it: prepack cleans and builds dist/ in the copy.
  const r = sh("npm", ["pack", "--json", "--pack-destination", dir, "--loglevel=error"], repo);
  assert.equal(r.status, 0, show(r));
  const json = r.stdout.slice(r.stdout.lastIndexOf("\n[") + 1);
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  packed = info!.files;
  consumer = join(dir, "consumer");
  mkdirSync(consumer);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("npm pack builds dist/ in prepack (not prepare) and ships it, the policy bundle and trust roots, and no sources", () => {
  assert.equal(PKG.scripts["prepare"], undefined, "prepare runs on every install, where the compiler is missing");
  assert.match(PKG.scripts["prepack"] ?? "", /npm run build/);
  const paths = new Set(packed.map((f) => f.path));
  for (const p of ["package.json", "LICENSE", "bin/agent-gate.js", "bin/code-cache.js", "dist/cli/main.js", "dist/bundle/agent-gate.js", "dist/bundle/verify-bundle.cjs", "dist/bundle/verify-commit.cjs", "dist/server.js", "dist/app-server.js", "policies/bundle.tar.gz", "trust/sigstore-production.json", "app.yml", "fixtures/scenarios/trusted_root.json", "fixtures/github/templates.json"])
    assert.ok(paths.has(p), `the tarball lacks ${p}`);
  const stray = [...paths].filter((p) => /^(src|test|bench|scripts|docs|node_modules)\/|\.map$|^package-lock\.json$|\.env$|\.pem$/.test(p));
  assert.deepEqual(stray, []);
});

test("the tarball installs in an empty folder with production dependencies only, and `npx -- agent-gate --version` prints the version", () => {
  const r = sh("npm", ["install", "--omit=dev", ...NPM_QUIET, tarball], consumer);
  assert.equal(r.status, 0, show(r));
  const modules = join(consumer, "node_modules");
  assert.ok(existsSync(join(modules, "agent-gate/dist/cli/main.js")));
  for (const dev of ["typescript", "tsx", "eslint", "nock", "@types/node"]) assert.ok(!existsSync(join(modules, dev)), `${dev} (a dev dependency) was installed`);
  // `--` keeps npx from answering --version itself (it prints npm's version).
  const v = sh("npx", ["--no", "--", "agent-gate", "--version"], consumer);
  assert.equal(v.status, 0, show(v));
  assert.equal(v.stdout.trim(), PKG.version);
});

test("the installed CLI verifies a real bundle (exit 0) and refuses a bad one (exit 1, coded reason)", () => {
  const good = join(CASES, "c04-msg-v0.3-happy");
  const ok = sh("npx", ["--no", "agent-gate", "verify-bundle", "--bundle", join(good, "bundle.sigstore.json"), "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, join(good, "artifact")], consumer);
  assert.equal(ok.status, 0, show(ok));
  const bad = join(CASES, "f07-set-invalid-signature");
  const no = sh("npx", ["--no", "agent-gate", "verify-bundle", "--bundle", join(bad, "bundle.sigstore.json"), "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER, join(bad, "artifact")], consumer);
  assert.equal(no.status, 1, show(no));
  assert.match(no.stderr + no.stdout, /TLOG_SET_INVALID/);
});

test("the installed CLI evaluates a policy input with the built-in bundle: allowed under a config (0), denied without (1)", () => {
  const c = JSON.parse(readFileSync(join(ROOT, "fixtures/policy/pr-signed-agent-passes.json"), "utf8")) as { input: unknown; config: unknown };
  const input = join(dir, "input.json");
  const config = join(dir, "agent-gate.yml");
  writeFileSync(input, JSON.stringify(c.input));
  writeFileSync(config, JSON.stringify(c.config)); // JSON is YAML
  const allowed = sh("npx", ["--no", "agent-gate", "policy", "eval", "--input", input, "--config", config], consumer);
  assert.equal(allowed.status, 0, show(allowed));
  const decision = JSON.parse(allowed.stdout) as { allow: boolean; policy: { revision: string } };
  assert.equal(decision.allow, true);
  assert.match(decision.policy.revision, /^builtin-/);
  const denied = sh("npx", ["--no", "agent-gate", "policy", "eval", "--input", input], consumer);
  assert.equal(denied.status, 1, show(denied));
  assert.equal((JSON.parse(denied.stdout) as { allow: boolean }).allow, false);
});

test("the installed CLI runs a recorded scenario through the real App and the GitHub stand-in (every file the demo reads is shipped)", () => {
  const r = sh("npx", ["--no", "agent-gate", "evaluate", "--scenario", "signed-agent-pr", "--json"], consumer);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /"conclusion": "success"/);
});

test("npm ci --omit=dev installs from the lock file without building (no compiler needed)", () => {
  const clone = join(dir, "clone");
  for (const p of ["package.json", "package-lock.json", "bin"]) cpSync(join(ROOT, p), join(clone, p), { recursive: true });
  const r = sh("npm", ["ci", "--omit=dev", ...NPM_QUIET], clone);
  assert.equal(r.status, 0, show(r));
  assert.ok(existsSync(join(clone, "node_modules/probot")));
  assert.ok(!existsSync(join(clone, "node_modules/typescript")));
});

test("the Action's install step installs production dependencies only on a ref that carries dist/", () => {
  const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as { runs: { steps: { name?: string; run?: string }[] } };
  const step = action.runs.steps.find((s) => /^install agent-gate/.test(s.name ?? ""));
  assert.ok(step?.run, "action.yml has no install step");
  const ref = join(dir, "action-ref");
  for (const p of ["package.json", "package-lock.json", "bin"]) cpSync(join(ROOT, p), join(ref, p), { recursive: true });
  cpSync(join(dir, "repo/dist"), join(ref, "dist"), { recursive: true });
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", step.run], { cwd: ref, encoding: "utf8", env: { ...env, npm_config_prefer_offline: "true", npm_config_loglevel: "error" }, timeout: 240_000 });
  assert.equal(r.status, 0, show(r));
  assert.ok(!existsSync(join(ref, "node_modules/typescript")), "the compiler was installed");
  const v = sh(process.execPath, ["bin/agent-gate.js", "--version"], ref);
  assert.equal(v.stdout.trim(), PKG.version, show(v));
});
