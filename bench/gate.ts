// PR gate throughput: the real App (Probot, in-process) handling pull_request events against a zero-latency GitHub
// stand-in, three provenance bundles per PR. Prints events/s, p50/p99 latency and GitHub requests per event.
// Then the App's memory, measured as deployed (bench/app-memory.ts): `npm start`'s command in a process of its own,
// compiled JavaScript from dist/, the same events delivered as signed webhooks over loopback, once on PostgreSQL
// and once on the embedded database. Run alone: node --import tsx bench/gate.ts
import { createHash, generateKeyPairSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Probot } from "probot";
import { pino } from "pino";
import { agentGateApp } from "../src/index.js";
import { unthrottled } from "../src/demo/run.js";
import { composeGate } from "../src/app/compose.js";
import { GitHubStandIn } from "../src/demo/github/stand-in.js";
import type { Account, StandInRepo } from "../src/demo/github/model.js";
import { buildAgentStatement } from "../src/core/provenance.js";
import { renderProvenanceBlock } from "../src/core/provenance-block.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "../test/support/sigstore/index.js";
import { printTable, type Row } from "./table.js";
import { appNode, measureAppMemory, startCommand, type AppMemoryResult } from "./app-memory.js";

const sha = (s: string): string => createHash("sha1").update(s).digest("hex");
const claude: Account = { login: "claude[bot]", id: 209825114, type: "Bot" };
const bob: Account = { login: "bob", id: 5002, type: "User" };

async function repoWithPulls(pulls: number): Promise<{ repo: StandInRepo; trustedRoot: unknown }> {
  const sigstore = await createTestSigstore({ now: new Date("2026-11-20T10:00:00Z") });
  const config = `rules:\n  signers:\n    allowed:\n      - identity: ${DEFAULT_IDENTITY}\n        issuer: ${DEFAULT_ISSUER}\n  model_governance:\n    allowed:\n      - model: anthropic/claude-sonnet-4-5\n`;
  const repo: StandInRepo = { owner: "acme", name: "widgets", id: 42, defaultBranch: "main", collaborators: { bob: "write" }, files: { ".github/agent-gate.yml": config }, pulls: [] };
  for (let n = 1; n <= pulls; n++) {
    const commits = [0, 1, 2].map((i) => ({ sha: sha(`${n}-${i}`), tree: sha(`t${n}-${i}`), message: `change ${i}\n`, author: { name: "Claude", email: "noreply@anthropic.com", account: claude } }));
    const blocks: string[] = [];
    for (const c of commits) {
      const st = buildAgentStatement({
        repository: "acme/widgets", commits: [{ sha: c.sha, tree: c.tree }], runtime: { name: "claude-code", version: "2.1.0" }, model: { id: "anthropic/claude-sonnet-4-5", version: "20250929" },
        prompt: { text: `task ${n}` }, target: { repository: "https://github.com/acme/widgets", baseRef: "refs/heads/main", baseCommit: sha("base") },
        delegation: { principal: { login: "alice", id: 5001 }, trigger: { event: "issue_comment" } }, builderId: DEFAULT_IDENTITY,
        invocation: { invocationId: "https://github.com/acme/agents/actions/runs/1", startedOn: "2026-11-20T09:00:00Z", finishedOn: "2026-11-20T09:30:00Z" },
      });
      const signed = await sigstore.sign({ payload: { kind: "dsse", statement: { subjects: st.subject.map((s) => ({ name: s.name, digest: { ...s.digest } })), predicateType: st.predicateType, predicate: st.predicate } } });
      blocks.push(renderProvenanceBlock(JSON.stringify(signed.bundle)));
    }
    repo.pulls.push({ number: n, title: `PR ${n}`, body: blocks.join("\n"), user: claude, head: { ref: "claude/x", sha: commits[2]!.sha }, base: { ref: "main", sha: sha("base") }, commits, files: [{ filename: "src/a.ts", additions: 10, deletions: 2 }], reviews: [{ user: bob, state: "APPROVED", commit_id: commits[2]!.sha }], comments: [] });
  }
  return { repo, trustedRoot: sigstore.trustedRoot };
}

/** The signed PRs are made in a child process (the test Sigstore's keys and logs stay out of the bench's heap). */
function signedPullsInChild(prs: number): { repo: StandInRepo; trustedRoot: unknown } {
  const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--make-fixture", String(prs)], { maxBuffer: 256 * 1024 * 1024, encoding: "utf8" });
  return JSON.parse(out) as { repo: StandInRepo; trustedRoot: unknown };
}

/** `events` pull_request events (labeled, synchronize) over the PRs of `repo` after one warm-up event each; `others` are served beside it. */
async function runEvents(repo: StandInRepo, others: StandInRepo[], trustedRoot: unknown, events: number): Promise<{ standIn: GitHubStandIn; mark: number; latencies: number[]; seconds: number }> {
  const PRS = repo.pulls.length;
  const standIn = new GitHubStandIn([repo, ...others]);
  standIn.keepWrites = false; // the latest state of each check run, not a growing record of every write
  const gate = await composeGate({ trustedRoot, tlogEntryUrl: () => undefined });
  const probot = new Probot({
    appId: 1,
    privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    log: pino({ level: "silent" }),
    Octokit: unthrottled(),
    request: { fetch: standIn.fetch },
  });
  await probot.load(agentGateApp({ gate }));
  const payload = (n: number, action: string): Record<string, unknown> => ({ action, number: n, installation: { id: 1 }, repository: { name: "widgets", owner: { login: "acme" } }, pull_request: standIn.pullPayload("acme", "widgets", n) });

  // Warm-up: the first event per PR verifies its bundles (cached by digest afterwards) and creates its check run.
  for (let n = 1; n <= PRS; n++) {
    await probot.receive({ id: `warm-${n}`, name: "pull_request", payload: payload(n, "opened") } as never);
  }
  const mark = standIn.requests.length;
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const n = (i % PRS) + 1;
    const s = performance.now();
    await probot.receive({ id: `e-${i}`, name: "pull_request", payload: payload(n, i % 2 ? "labeled" : "synchronize") } as never);
    latencies.push(performance.now() - s);
  }
  return { standIn, mark, latencies, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Where the config comes from changes what an event reads (issue 19 item 3): the repository's own file, or its
 * owner's `.github` repository's, with or without a revocation list there. Counted requests per event for each.
 */
const LIST = "version: 1\nmodels:\n  - model: example/retired-model\n    reason: benchmark\n";
function configLayouts(repo: StandInRepo): { name: string; repo: StandInRepo; others: StandInRepo[] }[] {
  const config = repo.files[".github/agent-gate.yml"]!;
  const bare = { ...repo, files: {} };
  const dotGithub = (files: Record<string, string>): StandInRepo => ({ owner: repo.owner, name: ".github", id: 4242, defaultBranch: "main", files, pulls: [] });
  return [
    { name: "repository's config, no .github repository", repo, others: [] },
    { name: "repository's config, .github without files", repo, others: [dotGithub({})] },
    { name: "repository's config, revocation list in .github", repo, others: [dotGithub({ ".github/agent-gate-revocations.yml": LIST })] },
    { name: "organisation's config (.github), no list", repo: bare, others: [dotGithub({ ".github/agent-gate.yml": config })] },
    { name: "organisation's config and revocation list", repo: bare, others: [dotGithub({ ".github/agent-gate.yml": config, ".github/agent-gate-revocations.yml": LIST })] },
  ];
}

export async function benchGate(): Promise<Row[]> {
  const PRS = Number(process.env.BENCH_PRS ?? 20);
  const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
  const { repo, trustedRoot } = signedPullsInChild(PRS);
  const { standIn, mark, latencies, seconds } = await runEvents(repo, [], trustedRoot, EVENTS);
  const reqs = standIn.since(mark);
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const failures = standIn.checkRuns.filter((r) => r.conclusion !== "success").length;
  const rows: Row[] = [
    { metric: "events per second (one core)", value: EVENTS / seconds, target: ">= 100" },
    { metric: "p50 latency per event (ms)", value: q(0.5), target: "" },
    { metric: "p99 latency per event (ms)", value: q(0.99), target: "< 50" },
    ...requestRows(reqs, EVENTS),
    { metric: "check runs not success (expect 0)", value: failures, target: "0" },
  ];
  const few = Math.min(EVENTS, 4 * PRS);
  for (const layout of configLayouts(repo)) {
    const run = await runEvents(structuredClone(layout.repo), structuredClone(layout.others), trustedRoot, few);
    const counted = run.standIn.since(run.mark).filter((r) => r.status !== 304).length;
    const notSuccess = run.standIn.checkRuns.filter((r) => r.conclusion !== "success").length;
    rows.push({ metric: `counted per event, ${layout.name} (${few} events)${notSuccess ? ` [${notSuccess} runs not success]` : ""}`, value: counted / few, target: "<= 4" });
  }
  if (process.env.BENCH_GATE_MEMORY === "0") return rows;
  printTable("PR gate (3 bundles per PR, zero-latency stand-in, the App in the benchmark's process)", rows);
  await benchGateMemory(repo, trustedRoot, EVENTS);
  return [];
}

/**
 * GitHub requests per event (issue 19): counted against the installation's rate limit (every answer but 304: a
 * conditional request answered "not modified" is free), of which writes, and the free ones; then each kind of request
 * (method, route with numbers and commit SHAs as placeholders, status), so a change in the mix shows.
 */
export function requestRows(reqs: readonly { method: string; path: string; status: number; write: boolean }[], events: number): Row[] {
  const counted = reqs.filter((r) => r.status !== 304);
  const kinds = new Map<string, number>();
  for (const r of reqs) {
    const route = r.path.replace(/\/[0-9a-f]{40}(?=\/|$)/g, "/{sha}").replace(/\/\d+(?=\/|$)/g, "/{n}");
    const kind = `${r.method} ${route} ${r.status}${r.write ? " (write)" : r.status === 304 ? " (free)" : ""}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [
    { metric: "GitHub requests per event, counted", value: counted.length / events, target: "<= 4" },
    { metric: "  of which writes", value: counted.filter((r) => r.write).length / events, target: "<= 2" },
    { metric: "  free (conditional, answered 304)", value: (reqs.length - counted.length) / events, target: "" },
    ...[...kinds].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]): Row => ({ metric: `    ${kind}`, value: n / events, target: "" })),
  ];
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => (bytes / MB).toFixed(1);

/**
 * The App's memory as deployed, on each database `npm start` can use: PostgreSQL (DATABASE_URL; default the local
 * test server, skipped when it does not answer) and the embedded PGlite (no DATABASE_URL). BENCH_GATE_DATABASES
 * chooses (postgres, embedded); BENCH_GATE_START measures another command than package.json's start script (e.g.
 * "node dist/server.js"). RSS peak is the kernel's high-water mark over the events (reset after warm-up).
 */
async function benchGateMemory(repo: StandInRepo, trustedRoot: unknown, events: number): Promise<void> {
  const which = (process.env.BENCH_GATE_DATABASES ?? "postgres,embedded").split(",");
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const command = startCommand(process.env.BENCH_GATE_START || undefined);
  const runs: { database: string; result?: AppMemoryResult; skipped?: string }[] = [];
  for (const database of which) {
    if (database === "postgres") {
      const reachable = await postgresAnswers(databaseUrl);
      if (!reachable) runs.push({ database: "PostgreSQL", skipped: `no PostgreSQL answers at ${databaseUrl.replace(/\/\/[^@/]*@/, "//")}` });
      else runs.push({ database: "PostgreSQL", result: await measureAppMemory({ repo, trustedRoot, events, databaseUrl, command }) });
    } else if (database === "embedded") {
      runs.push({ database: "embedded PGlite", result: await measureAppMemory({ repo, trustedRoot, events, command }) });
    } else throw new Error(`BENCH_GATE_DATABASES: unknown database "${database}"; expected postgres or embedded`);
  }
  const q = (r: AppMemoryResult, p: number): string => r.latenciesMs[Math.min(r.latenciesMs.length - 1, Math.floor(p * r.latenciesMs.length))]!.toFixed(1);
  const peak = (a: AppMemoryResult["final"]): number => Math.max(a.hwm ?? 0, a.peak.rss);
  const metrics: [string, (r: AppMemoryResult) => number | string, string][] = [
    ["RSS at start, reconciliation done", (r) => mb(r.afterStart.now.rss), ""],
    ["  peak RSS during start", (r) => mb(peak(r.afterStart)), ""],
    [`RSS after warm-up (${repo.pulls.length} events)`, (r) => mb(r.afterWarmUp.now.rss), ""],
    [`peak RSS over the ${events.toLocaleString("en-US")} events`, (r) => mb(peak(r.during.at(-1)!)), "< 250"],
    ["RSS final (1 s after the last event)", (r) => mb(r.final.now.rss), "< 250"],
    ["  heap used / heap total", (r) => `${mb(r.final.now.heapUsed)} / ${mb(r.final.now.heapTotal)}`, ""],
    ["  external / of which arrayBuffers", (r) => `${mb(r.final.now.external)} / ${mb(r.final.now.arrayBuffers)}`, ""],
    ["  heap used after a forced GC", (r) => mb(r.retained.now.heapUsed), ""],
    ["events/s (one at a time, delivery to conclusion)", (r) => r.eventsPerSecond.toFixed(1), ""],
    ["  p50 / p99 ms", (r) => `${q(r, 0.5)} / ${q(r, 0.99)}`, ""],
    ["  App CPU ms per event / of which GC", (r) => `${r.cpuMsPerEvent.toFixed(1)} / ${r.gcMsPerEvent.toFixed(1)}`, ""],
    ["  GitHub requests per event (304s included)", (r) => r.githubRequestsPerEvent.toFixed(2), ""],
    ["check runs not success (expect 0)", (r) => events - (r.conclusions["success"] ?? 0), "0"],
  ];
  const rows: Row[] = metrics.map(([metric, value, target]) => {
    const row: Row = { metric };
    for (const run of runs) row[run.database] = run.result ? value(run.result) : metric === metrics[0]![0] ? (run.skipped ?? "") : "";
    row["target"] = target;
    return row;
  });
  const shown = runs.find((r) => r.result)?.result?.command ?? command.script;
  const how = process.env.BENCH_GATE_START ? `started with BENCH_GATE_START: ${shown}` : `started as \`npm start\` starts it: ${shown}`;
  printTable(`PR gate memory (MB): the App alone in its own process (${how}; Node ${appNode().version}, LOAD_APP_NODE); ${events.toLocaleString("en-US")} events as signed webhooks; GitHub stand-in on loopback`, rows);
}

async function postgresAnswers(url: string): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

if (process.argv[2] === "--make-fixture") process.stdout.write(JSON.stringify(await repoWithPulls(Number(process.argv[3]))));
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) printTable("PR gate (3 bundles per PR, zero-latency stand-in)", await benchGate());
