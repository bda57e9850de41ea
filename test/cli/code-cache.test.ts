// bin/code-cache.js: the V8 code cache of the hot commands' scripts (dist/bundle/<command>.cjs). The cache is code
// that runs as the user, so it is used only from a directory the user owns and no one else can write; every entry is
// named by its script's exact bytes; any fault means running without a cache, never a failure.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface CodeCache {
  cacheDir(env?: NodeJS.ProcessEnv, base?: string): string | undefined;
}

let cc: CodeCache;
let work: string;
const uid = process.getuid?.() ?? "user";
const ON = {} as NodeJS.ProcessEnv;

before(async () => {
  cc = (await import(pathToFileURL("bin/code-cache.js").href)) as CodeCache;
  work = mkdtempSync(join(tmpdir(), "ag-code-cache-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * loadScript in a process of its own (V8 would otherwise find the script in this process's compilation cache and never
 * read the entry): what the script exported as `value`, whether V8 ran the cached code, then save(keep).
 */
function load(file: string, base: string, keep: boolean): { value: number; cached: boolean } {
  const code = `const { loadScript } = await import(${JSON.stringify(pathToFileURL("bin/code-cache.js").href)});
const l = loadScript(${JSON.stringify(file)}, {}, ${JSON.stringify(base)});
l.save(${keep});
console.log(JSON.stringify({ value: l.exports.value, cached: l.cached }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { value: number; cached: boolean };
}

function fresh(name: string): string {
  const d = join(work, name);
  mkdirSync(d);
  return d;
}

test("the cache directory is created for the user alone (0700) and used again when it still is", () => {
  const base = fresh("create");
  const dir = cc.cacheDir(ON, base);
  assert.equal(dir, join(base, `agent-gate-code-cache-${uid}`));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(cc.cacheDir(ON, base), dir);
});

test("a directory others can write, a link or a file in its place, or AGENT_GATE_CODE_CACHE=off means no cache", () => {
  const writable = fresh("writable");
  mkdirSync(join(writable, `agent-gate-code-cache-${uid}`), { mode: 0o700 });
  chmodSync(join(writable, `agent-gate-code-cache-${uid}`), 0o777);
  assert.equal(cc.cacheDir(ON, writable), undefined);
  chmodSync(join(writable, `agent-gate-code-cache-${uid}`), 0o770);
  assert.equal(cc.cacheDir(ON, writable), undefined, "group-writable");

  const linked = fresh("linked");
  mkdirSync(join(linked, "elsewhere"), { mode: 0o700 });
  symlinkSync(join(linked, "elsewhere"), join(linked, `agent-gate-code-cache-${uid}`));
  assert.equal(cc.cacheDir(ON, linked), undefined);

  const file = fresh("file");
  writeFileSync(join(file, `agent-gate-code-cache-${uid}`), "");
  assert.equal(cc.cacheDir(ON, file), undefined);

  assert.equal(cc.cacheDir({ AGENT_GATE_CODE_CACHE: "off" }, fresh("off")), undefined);
  assert.equal(cc.cacheDir({ AGENT_GATE_CODE_CACHE: "0" }, fresh("zero")), undefined);
  assert.equal(cc.cacheDir(ON, join(work, "missing", "deeper")), undefined, "a base that does not exist");
});

test("a script runs from source first, then from the code its first worthwhile run kept (0600), named by its bytes", () => {
  const base = fresh("script");
  const file = join(base, "hot.cjs");
  writeFileSync(file, "exports.value = [1, 2, 3].map((x) => x * 2).reduce((a, b) => a + b, 0);\n");
  assert.deepEqual(load(file, base, false), { value: 12, cached: false }); // usage only: nothing kept
  const dir = join(base, `agent-gate-code-cache-${uid}`);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(load(file, base, true), { value: 12, cached: false });
  const [entry, ...more] = readdirSync(dir);
  assert.deepEqual(more, []);
  assert.match(entry!, /^hot\.cjs-.+-[0-9a-f]{32}\.v8cache$/);
  assert.equal(statSync(join(dir, entry!)).mode & 0o777, 0o600);

  assert.deepEqual(load(file, base, true), { value: 12, cached: true });

  // same length, other bytes: another entry; V8 alone would accept the old code (it checks the length)
  writeFileSync(file, "exports.value = [1, 2, 3].map((x) => x * 3).reduce((a, b) => a + b, 0);\n");
  assert.deepEqual(load(file, base, true), { value: 18, cached: false });
  assert.deepEqual(load(file, base, true), { value: 18, cached: true });
  assert.equal(readdirSync(dir).length, 1, "the older script's entry is dropped");
});

test("a corrupt entry is rejected by V8 and replaced; the script still runs", () => {
  const base = fresh("corrupt");
  const file = join(base, "hot.cjs");
  writeFileSync(file, "exports.value = 7;\n");
  load(file, base, true);
  const dir = join(base, `agent-gate-code-cache-${uid}`);
  const [entry] = readdirSync(dir);
  writeFileSync(join(dir, entry!), Buffer.alloc(64, 0x41), { mode: 0o600 });
  assert.deepEqual(load(file, base, true), { value: 7, cached: false });
  assert.deepEqual(load(file, base, true), { value: 7, cached: true });
});

test("agent-gate verify-bundle runs from dist/bundle/verify-bundle.cjs: the same answer with and without the cache", (t) => {
  if (!existsSync("dist/bundle/verify-bundle.cjs")) return t.skip("dist/bundle is not built (npm run build)");
  const base = fresh("cli");
  const c = "fixtures/sigstore/cases/c04-msg-v0.3-happy";
  const identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
  const args = ["bin/agent-gate.js", "verify-bundle", "--bundle", `${c}/bundle.sigstore.json`, "--certificate-identity", identity, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--json", `${c}/artifact`];
  const run = (env: NodeJS.ProcessEnv): ReturnType<typeof spawnSync> => spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, TMPDIR: base, ...env } });
  const help = spawnSync(process.execPath, ["bin/agent-gate.js", "verify-bundle", "--help"], { encoding: "utf8", env: { ...process.env, TMPDIR: base } });
  assert.equal(help.status, 0);
  assert.deepEqual(readdirSync(join(base, `agent-gate-code-cache-${uid}`)), [], "a --help run keeps nothing");
  const cold = run({});
  assert.equal(cold.status, 0, String(cold.stderr));
  assert.equal(readdirSync(join(base, `agent-gate-code-cache-${uid}`)).filter((f) => f.startsWith("verify-bundle.cjs-")).length, 1);
  const warm = run({});
  const none = run({ AGENT_GATE_CODE_CACHE: "off" });
  assert.equal(warm.status, 0, String(warm.stderr));
  assert.equal(none.status, 0, String(none.stderr));
  assert.equal(warm.stdout, cold.stdout);
  assert.equal(none.stdout, cold.stdout);
  assert.equal((JSON.parse(String(cold.stdout)) as { verified: boolean }).verified, true);
});

test("a hot command's script that cannot be loaded leaves the command to main(): same answer", (t) => {
  if (!existsSync("dist/cli/main.js")) return t.skip("dist/ is not built (npm run build)");
  // a package of its own: bin/ copied, dist/cli linked, and a broken dist/bundle/verify-bundle.cjs (no ES bundle)
  const pkg = fresh("broken");
  cpSync("bin", join(pkg, "bin"), { recursive: true });
  mkdirSync(join(pkg, "dist", "bundle"), { recursive: true });
  symlinkSync(join(process.cwd(), "dist", "cli"), join(pkg, "dist", "cli"));
  const script = join(pkg, "dist", "bundle", "verify-bundle.cjs");
  writeFileSync(script, "this is not JavaScript (\n");
  const later = new Date(statSync("dist/cli/main.js").mtimeMs + 1000);
  utimesSync(script, later, later); // as new as dist/: bin/ picks it
  const c = "fixtures/sigstore/cases/c04-msg-v0.3-happy";
  const identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
  const args = ["verify-bundle", "--bundle", `${c}/bundle.sigstore.json`, "--certificate-identity", identity, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", `${c}/artifact`];
  const r = spawnSync(process.execPath, [join(pkg, "bin", "agent-gate.js"), ...args], { encoding: "utf8", env: { ...process.env, TMPDIR: pkg } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^OK: /);
  assert.equal(r.stderr, "");
});
