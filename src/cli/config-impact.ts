// `agent-gate config impact FILE --repo OWNER/REPO`: what a config change would do to the repository's recent
// decisions (issue 18 item 2). The last N recorded pull-request decisions of the repository (the latest per pull
// request) are evaluated again from the audit log: the stored input, the stored policy bundle the decision was made
// with, and the new config's policy data. Only the config differs, so every changed verdict is the config's doing.
// Exit codes: 0 no verdict changes, 1 some change, 2 usage or error (no log, config invalid, no decision of the
// repository recorded (its name compared case-insensitively), nothing replayable).
// The replay itself is app/config-impact.ts's, which the PR gate uses for pull requests that change a config.
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ConfigSource, configFiles, type ConfigText } from "../adapters/github/config-source.js";
import type { AuditLog } from "../adapters/storage/audit-log.js";
import { DEFAULT_DATA_DIR, openStorage } from "../adapters/storage/index.js";
import { DEFAULT_IMPACT_LAST, configImpact, impactLines, type ImpactReport } from "../app/config-impact.js";
import { gatePolicyData } from "../app/evaluate-pull-request.js";
import { loadRepoConfig } from "../app/load-config.js";
import type { AuditRecord } from "../core/audit.js";
import { AgentGateError } from "../core/errors.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";
import { readConfigFile } from "./config-file.js";

export const DEFAULT_LAST = DEFAULT_IMPACT_LAST;
export { configImpact, impactLines, type ImpactChange, type ImpactReport } from "../app/config-impact.js";
const MAX_LAST = 100_000;
/** Spellings of one repository's name read from the log (a rename that changed only its case, a few times). */
const MAX_SPELLINGS = 10;

/** The newest `limit` records of the repository under any of its spellings, newest first. */
async function recentOf(audit: Pick<AuditLog, "recent">, names: readonly string[], kind: AuditRecord["agent_gate"]["kind"], limit: number): Promise<AuditRecord[]> {
  const all = (await Promise.all(names.map((n) => audit.recent(n, kind, limit)))).flat();
  return all.sort((a, b) => b.seq - a.seq).slice(0, limit);
}

const USAGE = `usage: agent-gate config impact FILE --repo OWNER/REPO [--root DIR] [--last N] [--data-dir DIR | --database-url URL] [--json]

Replays the repository's last N recorded pull-request decisions (the latest per pull request) under the config
FILE (with its _extends bases under --root DIR, as config validate reads them) and prints the verdicts that would
change: the pull request, the old and new conclusion, and the rules that decide the difference.
  FILE              the new .github/agent-gate.yml
  --repo OWNER/REPO whose recorded decisions are replayed (compared case-insensitively, as GitHub's names are);
                    none recorded is exit 2
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
      loaded = await loadRepoConfig(configFiles(new FileConfigSource(file, values.root), offline), owner, repo, { revocations: false });
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
      // GitHub's names are case-insensitive: every spelling the log holds of the repository is the repository.
      const names = await storage.audit.spellings(repository, MAX_SPELLINGS);
      const nothing = (what: string): CliFailure =>
        new CliFailure("NOTHING_RECORDED", `${what} of ${repository} is recorded in ${storage.db.location} (names compared case-insensitively); expected the repository's recorded pull-request decisions to replay: is --repo spelled right, and is this the App's audit log?`);
      if (names.length === 0) throw nothing("no decision");
      const history = { audit: { recent: (_r: string, kind: Parameters<typeof storage.audit.recent>[1], limit: number) => recentOf(storage.audit, names, kind, limit) }, bundles: storage.bundles };
      report = await configImpact(history, names.length === 1 ? names[0]! : repository, gatePolicyData(loaded, repository), last);
      if (report.replayed === 0 && report.skipped.length === 0) throw nothing("no pull-request decision");
    } finally {
      await storage.close();
    }
    if (report.replayed === 0) throw new CliFailure("REPLAY_UNAVAILABLE", `none of ${report.skipped.length} recorded decision(s) of ${repository} could be replayed: ${report.skipped[0]!.reason}`);
    if (json) emit({ ...report, config: loaded.files });
    else for (const line of impactLines(report)) io.out(line);
    return report.changed.length === 0 ? EXIT_OK : EXIT_FAILED;
  });
}
