// The producer recipes in docs/examples/ (docs/recipes.md) hold what they promise: read as YAML and checked job by
// job (the agent never holds the signing identity or a write token; the commenter's permission is looked up; the
// prompt digest is taken before the agent runs and the signer re-reads the prompt from the event; every action is
// pinned to a commit; no expression is spliced into a script), and their digest scripts run in bash agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { attestCommand } from "../../src/cli/attest.js";
import { parseAgentProvenance } from "../../src/core/provenance.js";
import { generateSigningKey } from "../../src/adapters/sigstore/signing/index.js";
import { createTestSigstore } from "../support/sigstore/index.js";
import { startSigstoreServices } from "../support/sigstore/http.js";

const DIR = new URL("../../docs/examples/", import.meta.url);
const RECIPES = ["agent-workflow.yml", "claude-code-action.yml", "codex-cli.yml"] as const;

interface Step { readonly id?: string; readonly name?: string; readonly uses?: string; readonly run?: string; readonly env?: Record<string, string>; readonly with?: Record<string, unknown> }
interface Job { readonly if?: string; readonly needs?: string | string[]; readonly permissions?: Record<string, string> | string; readonly outputs?: Record<string, string>; readonly steps: Step[] }
interface Workflow { readonly on: unknown; readonly permissions?: unknown; readonly env?: Record<string, string>; readonly jobs: Record<string, Job> }

const load = (file: string): { raw: string; wf: Workflow } => {
  const raw = readFileSync(new URL(file, DIR), "utf8");
  return { raw, wf: parse(raw, { uniqueKeys: true }) as Workflow };
};
const needsOf = (j: Job): string[] => (j.needs === undefined ? [] : typeof j.needs === "string" ? [j.needs] : j.needs);
/** Every job `name` waits for, directly or through others. */
function ancestors(wf: Workflow, name: string, seen = new Set<string>()): Set<string> {
  for (const n of needsOf(wf.jobs[name]!)) if (!seen.has(n)) ancestors(wf, n, seen.add(n));
  return seen;
}
const perms = (j: Job): Record<string, string> => {
  assert.equal(typeof j.permissions, "object", "every job declares its permissions as a map");
  return j.permissions as Record<string, string>;
};
const AGENT_MARKERS = [/anthropics\/claude-code-action@/, /openai\/codex-action@/, /\bcodex exec\b/, /run-agent/, /secrets\.[A-Z_]*API_KEY/];
const runsAgent = (j: Job): boolean => j.steps.some((s) => AGENT_MARKERS.some((m) => m.test(JSON.stringify(s))));
const SIGNER = /^[\w.-]+\/agent-gate@[0-9a-f]{40}$/;
const signs = (j: Job): boolean => j.steps.some((s) => s.uses !== undefined && SIGNER.test(s.uses));
const EVENT_BODY = "${{ github.event.comment.body }}";

test("every workflow in docs/examples is one of the recipes the test knows", () => {
  assert.deepEqual(readdirSync(DIR).filter((f) => f.endsWith(".yml")).sort(), [...RECIPES].sort());
});

for (const file of RECIPES) {
  test(`${file}: the agent's job can neither sign nor write, and only the signing job holds id-token: write`, () => {
    const { wf } = load(file);
    assert.deepEqual(wf.permissions, {}, "the workflow grants nothing by default, so no job inherits a permission");
    const agents = Object.entries(wf.jobs).filter(([, j]) => runsAgent(j));
    assert.equal(agents.length, 1, "exactly one job runs the agent");
    const [agentName, agent] = agents[0]!;
    assert.equal(perms(agent)["id-token"], undefined, "the agent's job has no id-token permission");
    for (const [scope, level] of Object.entries(perms(agent))) assert.equal(level, "read", `the agent's job only reads (${scope}: ${level})`);
    for (const s of agent.steps.filter((x) => x.uses?.startsWith("actions/checkout@"))) assert.equal(s.with?.["persist-credentials"], false, "the agent's checkout keeps no git credentials");

    const withOidc = Object.entries(wf.jobs).filter(([, j]) => perms(j)["id-token"] !== undefined);
    assert.equal(withOidc.length, 1, "one job holds an OIDC permission");
    const [signName, sign] = withOidc[0]!;
    assert.equal(perms(sign)["id-token"], "write");
    assert.ok(signs(sign), "it is the job that runs agent-gate's attest action");
    assert.ok(!runsAgent(sign), "the signing job runs no agent and sees no model key");
    assert.notEqual(perms(sign).contents, "write", "the OIDC token never shares a job with a contents: write token");
    assert.ok(ancestors(wf, signName).has(agentName), "the signing job runs after the agent's job has ended");
    assert.ok(!JSON.stringify(sign).includes("secrets."), "no secret reaches the signing job");
    for (const [name, j] of Object.entries(wf.jobs)) if (name !== signName) assert.ok(!signs(j), `${name} does not sign`);
  });

  test(`${file}: the commenter's permission is looked up before the agent runs`, () => {
    const { wf } = load(file);
    const [agentName] = Object.entries(wf.jobs).find(([, j]) => runsAgent(j))!;
    const gates = Object.entries(wf.jobs).filter(([, j]) => j.steps.some((s) => /gh api "repos\/\$REPO\/collaborators\/\$COMMENTER\/permission"/.test(s.run ?? "")));
    assert.equal(gates.length, 1, "one job asks GitHub for the commenter's permission on the repository");
    const [gateName, gate] = gates[0]!;
    assert.ok(ancestors(wf, agentName).has(gateName), "the agent's job needs the permission check");
    const check = gate.steps.find((s) => (s.run ?? "").includes("/permission"))!;
    assert.equal(check.env?.COMMENTER, "${{ github.event.comment.user.login }}", "the commenter, not the workflow's actor, is checked");
    assert.match(check.run!, /case "\$permission" in\s+admin\|write\)/, "only write and admin pass");
    assert.match(check.run!, /\*\)[^\n]*exit 1/, "anything else stops the run");
    assert.match(gate.if ?? "", /author_association/, "the association is a pre-filter");
    assert.match(gate.if ?? "", /github\.event\.comment\.user\.type == 'User'/, "bots cannot trigger the agent");
    assert.match(gate.if ?? "", /github\.event\.issue\.pull_request == null/, "issues only");
    assert.deepEqual(wf.on, { issue_comment: { types: ["created"] } }, "only new comments trigger (an edit does not re-run)");
  });

  test(`${file}: the prompt digest is taken before the agent runs and the signer re-reads the prompt from the event`, () => {
    const { wf } = load(file);
    const [agentName, agent] = Object.entries(wf.jobs).find(([, j]) => runsAgent(j))!;
    const [digestJob, gate] = Object.entries(wf.jobs).find(([, j]) => j.outputs?.["prompt-sha256"] !== undefined)!;
    assert.ok(ancestors(wf, agentName).has(digestJob), "the digest's job precedes the agent's");
    const stepId = /steps\.([\w-]+)\.outputs\.sha256/.exec(gate.outputs!["prompt-sha256"]!)?.[1];
    const digest = gate.steps.find((s) => s.id === stepId)!;
    assert.equal(digest.env?.COMMENT, EVENT_BODY, "the digest is of the comment as the event carries it");
    assert.ok(!runsAgent(gate), "no agent runs in the digest's job");

    const [signName, sign] = Object.entries(wf.jobs).find(([, j]) => signs(j))!;
    assert.ok(ancestors(wf, signName).has(digestJob));
    const reread = sign.steps.find((s) => s.env?.EXPECTED !== undefined)!;
    assert.equal(reread.env?.EXPECTED, `\${{ needs.${digestJob}.outputs.prompt-sha256 }}`, "the signer checks the prompt against the gate's digest");
    assert.equal(reread.env?.COMMENT, EVENT_BODY, "the signer re-reads the prompt from the event");
    const attest = sign.steps.find((s) => s.uses !== undefined && SIGNER.test(s.uses))!;
    assert.equal(attest.with?.["prompt-file"], "${{ runner.temp }}/prompt.txt", "the signed prompt is the re-read one");
    assert.match(reread.run!, /> "\$RUNNER_TEMP\/prompt\.txt"/);
    assert.ok(sign.steps.indexOf(reread) < sign.steps.indexOf(attest), "checked before it is signed");
    assert.equal(attest.with?.base, "${{ github.sha }}", "the base is the event's commit, not a value the agent's job reported");
    assert.ok(!JSON.stringify(sign).includes(`needs.${agentName}.outputs`), "the signer takes no output of the agent's job");
    // what the agent is given is the text the gate digested
    const prompted = agent.steps.filter((s) => JSON.stringify(s).includes("github.event.comment.body"));
    assert.ok(prompted.length >= 1, "the agent's prompt comes from the event");
  });

  test(`${file}: every action is pinned to a commit and no expression is spliced into a script`, () => {
    const { raw, wf } = load(file);
    for (const [name, j] of Object.entries(wf.jobs)) {
      for (const s of j.steps) {
        if (s.uses !== undefined) {
          assert.match(s.uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/, `${name}: ${s.uses} is pinned to a full commit SHA (no tag, no branch, no local ./ action)`);
          const line = raw.split("\n").find((l) => l.includes(`uses: ${s.uses}`))!;
          assert.match(line, /# (v\d|agent-gate release)/, `${name}: ${s.uses} names its release in a comment`);
          // agent-gate's own action: the placeholder that never resolves, so an unedited copy fails closed
          if (SIGNER.test(s.uses)) assert.equal(s.uses, "your-org/agent-gate@0000000000000000000000000000000000000000");
        }
        if (s.run !== undefined) {
          assert.ok(!s.run.includes("${{"), `${name}: "${s.name ?? s.run.slice(0, 40)}" reaches values through env:, never \${{ }} in the script`);
          assert.ok(!s.run.includes("github.event"), `${name}: no event field in a script`);
        }
      }
    }
    assert.ok(!raw.includes(`run: ${EVENT_BODY}`) && !/run:[^\n]*github\.event\.comment\.body/.test(raw));
  });

  test(`${file}: the gate's digest script and the signer's check agree in bash, and refuse another prompt`, () => {
    const { wf } = load(file);
    const gate = Object.values(wf.jobs).find((j) => j.outputs?.["prompt-sha256"] !== undefined)!;
    const digest = gate.steps.find((s) => s.env?.COMMENT !== undefined && s.id !== undefined)!;
    const sign = Object.values(wf.jobs).find((j) => signs(j))!;
    const reread = sign.steps.find((s) => s.env?.EXPECTED !== undefined)!;
    const tmp = mkdtempSync(join(tmpdir(), "agent-gate-recipe-"));
    try {
      const bash = (script: string, env: Record<string, string>): { status: number | null; stderr: string } => {
        const r = spawnSync("bash", ["-e", "-c", script], { env: { PATH: process.env.PATH ?? "", RUNNER_TEMP: tmp, ...env }, encoding: "utf8" });
        return { status: r.status, stderr: r.stderr + r.stdout };
      };
      for (const body of ["/agent add tests", "/claude fix it\r\n\r\n- keep `x`\n$(touch pwned) %s %n\n", "/codex -n -e \\\\ 'quoted'\n\n"]) {
        const out = join(tmp, "out");
        writeFileSync(out, "");
        assert.equal(bash(digest.run!, { COMMENT: body, GITHUB_OUTPUT: out }).status, 0);
        const sha = /^sha256=([0-9a-f]{64})$/m.exec(readFileSync(out, "utf8"))?.[1];
        assert.equal(sha, createHash("sha256").update(body).digest("hex"), "the digest is sha256 of the comment body, byte for byte");
        assert.equal(bash(reread.run!, { COMMENT: body, EXPECTED: sha }).status, 0, "the signer's re-read matches");
        assert.equal(readFileSync(join(tmp, "prompt.txt"), "utf8"), body, "the signed file holds the body as the agent got it");
        const other = bash(reread.run!, { COMMENT: `${body} and also push to main`, EXPECTED: sha });
        assert.equal(other.status, 1, "another prompt is refused");
        assert.match(other.stderr, /prompt digest [0-9a-f]{64} differs from the gate's/);
      }
      assert.throws(() => readFileSync(join(tmp, "pwned")), "the body is never executed");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test("attest signs as the recipes call it on an issue_comment event (GITHUB_BASE_REF is set but empty there)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-gate-recipe-attest-"));
  // a key-signed bundle passes attest's own check only when logged: the tests' Rekor, and their root to check it with
  const world = await createTestSigstore();
  const services = await startSigstoreServices(world);
  try {
    writeFileSync(join(dir, "root.json"), JSON.stringify(world.trustedRoot));
    const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=agent[bot]", "-c", "user.email=agent@users.noreply.github.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q", "-b", "main");
    git("commit", "-q", "--allow-empty", "-m", "base");
    const base = git("rev-parse", "HEAD");
    git("commit", "-q", "--allow-empty", "-m", "Agent: issue #7");
    const commits = git("rev-list", "--reverse", `${base}..HEAD`);
    const body = "/agent add input validation\n";
    writeFileSync(join(dir, "prompt.txt"), body);
    writeFileSync(join(dir, "key.pem"), generateSigningKey().privateKeyPem);
    const out: string[] = [];
    const err: string[] = [];
    const env = { GITHUB_BASE_REF: "", GITHUB_EVENT_NAME: "issue_comment", GITHUB_ACTOR: "alice", GITHUB_ACTOR_ID: "5001", GITHUB_REPOSITORY: "acme/widgets", GITHUB_SERVER_URL: "https://github.com", GITHUB_WORKFLOW_REF: "acme/widgets/.github/workflows/agent.yml@refs/heads/main", GITHUB_RUN_ID: "42" };
    const code = await attestCommand(
      ["--agent", "my-agent", "--agent-version", "1.4.2", "--model", "anthropic/claude-sonnet-4-5", "--model-version", "20250929", "--prompt-file", join(dir, "prompt.txt"), "--base", base, "--commits", commits, "--key", join(dir, "key.pem"), "--rekor-url", services.rekorUrl, "--trusted-root", join(dir, "root.json"), "--json"],
      { env, cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l), fetch: globalThis.fetch, now: () => new Date("2026-11-26T08:00:00Z") },
    );
    assert.equal(code, 0, err.join("\n") + out.join("\n"));
    const bundle = (JSON.parse(out.join("\n")) as { bundle: { dsseEnvelope: { payload: string } } }).bundle;
    const text = Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8");
    const parsed = parseAgentProvenance(JSON.parse(text)) as { ok?: boolean };
    assert.equal(parsed.ok, true, "the statement parses as agent provenance");
    assert.ok(text.includes(createHash("sha256").update(body).digest("hex")), "the prompt digest is the gate's");
    assert.ok(text.includes('"baseRef":"main"'), "an empty GITHUB_BASE_REF falls back to main");
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const file of RECIPES) {
  test(`${file}: the agent's commit, publish and sign scripts in bash: the work is pushed as data, and only work that builds on the event's commit`, () => {
    const { wf } = load(file);
    const jobs = Object.values(wf.jobs);
    const agent = jobs.find((j) => runsAgent(j))!;
    const commitStep = agent.steps.find((s) => /^commit what the agent changed/.test(s.name ?? ""))!;
    const bundleStep = agent.steps.find((s) => /^hand the commits on/.test(s.name ?? ""))!;
    const publish = jobs.find((j) => j.outputs?.commits !== undefined)!;
    const pushStep = publish.steps.find((s) => s.id === "push")!;
    const sign = jobs.find((j) => signs(j))!;
    const sameHead = sign.steps.find((s) => s.env?.HEAD_SHA !== undefined)!;
    const tmp = mkdtempSync(join(tmpdir(), "agent-gate-recipe-flow-"));
    try {
      const sh = (cwd: string, script: string, env: Record<string, string> = {}): { status: number | null; out: string } => {
        const r = spawnSync("bash", ["-e", "-c", script], { cwd, encoding: "utf8", env: { PATH: `${join(tmp, "bin")}:${process.env.PATH ?? ""}`, HOME: tmp, GIT_CONFIG_NOSYSTEM: "1", ...wf.env, ...env } });
        return { status: r.status, out: r.stdout + r.stderr };
      };
      const ok = (cwd: string, script: string): string => {
        const r = sh(cwd, script);
        assert.equal(r.status, 0, r.out);
        return r.out.trim();
      };
      execFileSync("mkdir", ["-p", join(tmp, "bin"), join(tmp, "agent-temp"), join(tmp, "sign-temp/agent-work")]);
      // gh stands in for GitHub: no open PR for the branch, and a created PR is number 5
      writeFileSync(join(tmp, "bin/gh"), '#!/bin/sh\ncase "$2" in list) echo "" ;; create) echo "https://github.com/acme/widgets/pull/5" ;; esac\n', { mode: 0o755 });
      ok(tmp, "git init -q --bare -b main origin.git && git clone -q origin.git seed && cd seed && git -c user.name=m -c user.email=m@x commit -q --allow-empty -m base && git push -q origin main");
      const base = ok(join(tmp, "seed"), "git rev-parse HEAD");
      // the agent's job: its checkout, its edits, the recipe's commit and bundle steps
      ok(tmp, "git clone -q origin.git agent && cd agent && echo 'export const x = 1;' > parser.ts");
      const agentEnv = { RUNNER_TEMP: join(tmp, "agent-temp"), BASE: base, COMMENTER: "alice", COMMENTER_ID: "5001", ISSUE: "7" };
      assert.equal(sh(join(tmp, "agent"), commitStep.run!, agentEnv).status, 0);
      const message = ok(join(tmp, "agent"), "git log -1 --format='%an <%ae>%n%B'");
      assert.match(message, /Co-authored-by: alice <5001\+alice@users\.noreply\.github\.com>/, "the commenter is the co-author");
      assert.equal(sh(join(tmp, "agent"), bundleStep.run!, agentEnv).status, 0);
      execFileSync("cp", [join(tmp, "agent-temp/work.bundle"), join(tmp, "sign-temp/agent-work/work.bundle")]);
      const head = ok(join(tmp, "agent"), "git rev-parse HEAD");
      // the publish job: a fresh clone of the base, the bundle as downloaded
      ok(tmp, "git clone -q origin.git publish");
      const out = join(tmp, "publish-output");
      writeFileSync(out, "");
      const publishEnv = { RUNNER_TEMP: join(tmp, "sign-temp"), BASE: base, ISSUE: "7", GH_TOKEN: "x", GITHUB_OUTPUT: out };
      const pushed = sh(join(tmp, "publish"), pushStep.run!, publishEnv);
      assert.equal(pushed.status, 0, pushed.out);
      const outputs = readFileSync(out, "utf8");
      assert.match(outputs, /^pr=5$/m);
      assert.match(outputs, new RegExp(`^head=${head}$`, "m"));
      assert.match(outputs, new RegExp(`^commits=${head}$`, "m"));
      assert.equal(ok(join(tmp, "origin.git"), `git rev-parse refs/heads/${wf.env!.BRANCH_PREFIX!}7`), head, "the agent's branch holds exactly its work");
      // the sign job: the bundle's head must be the published one
      ok(tmp, "git clone -q origin.git sign");
      assert.equal(sh(join(tmp, "sign"), sameHead.run!, { RUNNER_TEMP: join(tmp, "sign-temp"), HEAD_SHA: head }).status, 0);
      assert.equal(sh(join(tmp, "sign"), sameHead.run!, { RUNNER_TEMP: join(tmp, "sign-temp"), HEAD_SHA: base }).status, 1, "another head is refused");
      // work that does not build on the event's commit, or holds a merge, is refused before anything is pushed
      ok(tmp, "git init -q -b main orphan && cd orphan && git -c user.name=a -c user.email=a@x commit -q --allow-empty -m elsewhere && git bundle create -q ../sign-temp/agent-work/work.bundle HEAD");
      const orphan = sh(join(tmp, "publish"), pushStep.run!, publishEnv);
      assert.equal(orphan.status, 1);
      assert.match(orphan.out, /does not build on/);
      ok(join(tmp, "agent"), `git checkout -q -b side ${base} && git -c user.name=a -c user.email=a@x commit -q --allow-empty -m side && git checkout -q - && git -c user.name=a -c user.email=a@x merge -q --no-ff --no-edit side && git bundle create -q ../sign-temp/agent-work/work.bundle ${base}..HEAD`);
      const merged = sh(join(tmp, "publish"), pushStep.run!, publishEnv);
      assert.equal(merged.status, 1);
      assert.match(merged.out, /merge commits/);
      assert.equal(ok(join(tmp, "origin.git"), `git rev-parse refs/heads/${wf.env!.BRANCH_PREFIX!}7`), head, "nothing refused was pushed");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
