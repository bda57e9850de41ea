// `agent-gate config impact FILE --repo OWNER/REPO`: what a config change would do to the repository's recent
// decisions (issue 18 item 2). The last N recorded pull-request decisions of the repository (the latest per pull
// request) are evaluated again from the audit log: the stored input, the stored policy bundle the decision was made
// with, and the new config's policy data. Only the config differs, so every changed verdict is the config's doing.
// Exit codes: 0 no verdict changes, 1 some change, 2 usage or error (no log, config invalid, nothing replayable).
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ConfigSource, configFiles, type ConfigText } from "../adapters/github/config-source.js";
import { PolicyEngine } from "../adapters/opa/engine.js";
import { DEFAULT_DATA_DIR, openStorage, type Storage } from "../adapters/storage/index.js";
import { loadRepoConfig } from "../app/load-config.js";
import { policyData } from "../config/repo-config.js";
import type { AuditRecord } from "../core/audit.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";
import { readConfigFile } from "./config-file.js";

export const DEFAULT_LAST = 200;
const MAX_LAST = 100_000;

const USAGE = `usage: agent-gate config impact FILE --repo OWNER/REPO [--root DIR] [--last N] [--data-dir DIR | --database-url URL] [--json]

Replays the repository's last N recorded pull-request decisions (the latest per pull request) under the config
FILE (with its _extends bases under --root DIR, as config validate reads them) and prints the verdicts that would
change: the pull request, the old and new conclusion, and the rules that decide the difference.
  FILE              the new .github/agent-gate.yml
  --repo OWNER/REPO whose recorded decisions are replayed
  --root DIR        where FILE's bases are: _extends REPO:PATH is read from DIR/REPO/PATH
  --last N          how many recorded decisions to look at, newest first (default ${DEFAULT_LAST})
  --data-dir DIR    the embedded audit log (default ${DEFAULT_DATA_DIR}; the demo's: .agent-gate/demo)
  --database-url URL PostgreSQL (default $DATABASE_URL unless --data-dir is given)
  --schema NAME     schema (default agent_gate)
  --json            one document: {"repository", "config", "replayed", "changed": [...], "skipped": [...]}

exit codes: 0 no verdict would change, 1 some would, 2 usage or error`;

export const IMPACT_OPTIONS = {
  repo: { type: "string" },
  root: { type: "string" },
  last: { type: "string" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  schema: { type: "string" },
} as const;

export interface ImpactChange {
  readonly pull_request: number | null;
  readonly head_sha: string;
  readonly decision_id: string;
  readonly seq: number;
  readonly old: "success" | "failure";
  readonly new: "success" | "failure";
  /** Rules denying under one config and not the other, each marked + (new) or - (no longer). */
  readonly rules: readonly string[];
}

export interface ImpactReport {
  readonly repository: string;
  readonly replayed: number;
  readonly changed: ImpactChange[];
  readonly skipped: { readonly decision_id: string; readonly reason: string }[];
}

interface Result {
  readonly allow?: boolean;
  readonly deny?: readonly { readonly rule?: string }[];
}

const conclusionOf = (r: Result): "success" | "failure" => (r.allow === true && (r.deny ?? []).length === 0 ? "success" : "failure");
const denied = (r: Result): Set<string> => new Set((r.deny ?? []).map((f) => f.rule ?? "?"));

/** The last `last` pull-request records of `repository`, the latest per pull request, newest first. */
async function recentDecisions(storage: Storage, repository: string, last: number): Promise<AuditRecord[]> {
  const ring: AuditRecord[] = [];
  for (let after = 0; ; ) {
    const page = await storage.audit.list({ afterSeq: after, limit: 500 });
    for (const r of page) {
      if (r.agent_gate.kind !== "pull_request" || r.agent_gate.repository !== repository) continue;
      ring.push(r);
      if (ring.length > last) ring.shift();
    }
    if (page.length < 500) break;
    after = page.at(-1)!.seq;
  }
  const seen = new Set<string>();
  return ring.reverse().filter((r) => {
    const key = r.agent_gate.pull_request === null ? r.agent_gate.head_sha : String(r.agent_gate.pull_request);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replays each decision with its own stored bundle and the new data; one engine per bundle. */
export async function configImpact(storage: Storage, repository: string, data: unknown, last: number = DEFAULT_LAST): Promise<ImpactReport> {
  const engines = new Map<string, PolicyEngine | string>();
  const changed: ImpactChange[] = [];
  const skipped: { decision_id: string; reason: string }[] = [];
  let replayed = 0;
  for (const r of await recentDecisions(storage, repository, last)) {
    const recorded = r.result as Result & { error?: unknown };
    if (recorded.error !== undefined || typeof recorded.allow !== "boolean") {
      skipped.push({ decision_id: r.decision_id, reason: "the evaluation failed before a decision (nothing to compare)" });
      continue;
    }
    const digest = Object.values(r.bundles)[0]?.digest;
    if (!digest) {
      skipped.push({ decision_id: r.decision_id, reason: "the record names no policy bundle" });
      continue;
    }
    let engine = engines.get(digest);
    if (engine === undefined) {
      const b = await storage.bundles.get(digest);
      if (!b) engine = `no policy bundle with digest ${digest} is stored`;
      else {
        const enc = new TextEncoder();
        engine = await PolicyEngine.load({ wasm: b.wasm, data: JSON.parse(b.data) as unknown, dataBytes: enc.encode(b.data), revision: b.revision, source: `stored bundle ${digest}` }).catch((err: unknown) => `the stored bundle ${digest} cannot be loaded: ${describeError(err)}`);
        if (typeof engine !== "string" && engine.policy.digest !== digest) engine = `the stored bundle's content does not hash to ${digest}: it was altered`;
      }
      engines.set(digest, engine);
    }
    if (typeof engine === "string") {
      skipped.push({ decision_id: r.decision_id, reason: engine });
      continue;
    }
    let now: Result;
    try {
      now = engine.evaluate(r.path, r.input, { data });
    } catch (err) {
      skipped.push({ decision_id: r.decision_id, reason: `${err instanceof AgentGateError ? err.code : "INTERNAL_ERROR"}: ${describeError(err).slice(0, 200)}` });
      continue;
    }
    replayed++;
    const [before, after] = [conclusionOf(recorded), conclusionOf(now)];
    if (before === after) continue;
    const [was, is] = [denied(recorded), denied(now)];
    const rules = [...[...is].filter((x) => !was.has(x)).map((x) => `+${x}`), ...[...was].filter((x) => !is.has(x)).map((x) => `-${x}`)];
    changed.push({ pull_request: r.agent_gate.pull_request, head_sha: r.agent_gate.head_sha, decision_id: r.decision_id, seq: r.seq, old: before, new: after, rules });
  }
  return { repository, replayed, changed, skipped };
}

/** FILE and its bases under --root, read as the App reads them from GitHub. */
class FileConfigSource extends ConfigSource {
  constructor(
    private readonly file: string,
    private readonly root: string | undefined,
  ) {
    super();
  }
  override load(_o: unknown, _owner: string, repo: string): Promise<ConfigText | null> {
    return Promise.resolve({ text: readConfigFile(this.file), source: this.file, repo, path: ".github/agent-gate.yml", digest: "" });
  }
  override fetchFile(_o: unknown, _owner: string, repo: string, path: string): Promise<ConfigText | null> {
    if (this.root === undefined || repo === "." || repo === "..") return Promise.reject(new AgentGateError("CONFIG_UNREADABLE", `${this.file} extends ${repo}:${path}: give --root DIR holding ${repo}/${path}`));
    const file = join(this.root, repo, path);
    return Promise.resolve(existsSync(file) ? { text: readFileSync(file, "utf8"), source: file, repo, path, digest: "" } : null);
  }
}

const offline = { request: () => Promise.reject(new Error("offline: no GitHub requests")) } as never;

/** The table a reviewer reads (also the App's impact section). */
export function impactLines(r: ImpactReport): string[] {
  if (r.changed.length === 0) return [`no verdict would change: ${r.replayed} recorded decision(s) of ${r.repository} replayed${r.skipped.length ? `, ${r.skipped.length} skipped` : ""}`];
  return [
    `${r.changed.length} verdict(s) would change among ${r.replayed} recorded decision(s) of ${r.repository}:`,
    ...r.changed.map((c) => `  ${c.pull_request === null ? "(no PR)" : `PR #${c.pull_request}`} at ${c.head_sha.slice(0, 7)}: ${c.old} -> ${c.new}${c.rules.length ? ` (${c.rules.join(", ")})` : ""}  [decision ${c.decision_id}]`),
    ...(r.skipped.length ? [`${r.skipped.length} skipped: ${r.skipped.slice(0, 3).map((s) => s.reason).join("; ")}`] : []),
  ];
}

export function configImpactCommand(argv: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand({ name: "config impact", usage: USAGE, options: IMPACT_OPTIONS, positionals: { min: 1, max: 1, what: "FILE" } }, argv, io, async ({ values, positionals, json, emit }) => {
    const file = positionals[0]!;
    const repository = values.repo;
    if (repository === undefined || !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(repository)) throw new UsageError("expected --repo OWNER/REPO: whose recorded decisions are replayed");
    const last = values.last === undefined ? DEFAULT_LAST : Number(values.last);
    if (!Number.isInteger(last) || last < 1 || last > MAX_LAST) throw new UsageError(`--last: expected a whole number from 1 to ${MAX_LAST}, got ${JSON.stringify(values.last)}`);
    if (!existsSync(file)) throw new CliFailure("FILE_NOT_FOUND", `${file} does not exist; expected the new config file`);
    const [owner, repo] = repository.split("/") as [string, string];
    let loaded;
    try {
      loaded = await loadRepoConfig(configFiles(new FileConfigSource(file, values.root), offline), owner, repo);
    } catch (err) {
      if (err instanceof AgentGateError) throw new CliFailure(err.code, `${basename(file)}: ${err.message} (agent-gate config validate ${file} names each error's place)`);
      throw err;
    }
    const databaseUrl = values["database-url"] ?? (values["data-dir"] === undefined ? process.env["DATABASE_URL"] || undefined : undefined);
    const dataDir = values["data-dir"] ?? DEFAULT_DATA_DIR;
    if (!databaseUrl && !existsSync(join(dataDir, "pg"))) throw new CliFailure("AUDIT_LOG_MISSING", `there is no embedded audit log in ${resolve(dataDir)} (nothing recorded there yet: agent-gate demo --record, then --data-dir .agent-gate/demo)`);
    const storage = await openStorage({ databaseUrl, dataDir, schema: values.schema });
    let report: ImpactReport;
    try {
      report = await configImpact(storage, repository, policyData(loaded.config), last);
    } finally {
      await storage.close();
    }
    if (report.replayed === 0 && report.skipped.length > 0) throw new CliFailure("REPLAY_UNAVAILABLE", `none of ${report.skipped.length} recorded decision(s) of ${repository} could be replayed: ${report.skipped[0]!.reason}`);
    if (json) emit({ ...report, config: loaded.files });
    else for (const line of impactLines(report)) io.out(line);
    return report.changed.length === 0 ? EXIT_OK : EXIT_FAILED;
  });
}
