// `agent-gate audit`: verify the hash chain, show one decision, export OPA-compatible decision-log lines,
// replay a decision with the policy bundle it was made with, and record checkpoints to keep elsewhere.
// Exit codes (args.ts, as every command): 0 ok (verified, found, reproduced); 1 broken chain, not found, or a
// replay that differs; 2 usage or operational error, a replay that cannot be done (bundle, data or engine missing).
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_DATA_DIR, openStorage } from "../adapters/storage/index.js";
import type { Replayer, Storage } from "../adapters/storage/index.js";
import { recordedResult } from "../core/decision.js";
import { replayDecision } from "../adapters/storage/replay.js";
import { ChainVerifier, chainHash, parseCheckpoint, rowFromExportLine } from "../core/audit.js";
import { canonicalize } from "../core/digest.js";
import type { Checkpoint, SourcedCheckpoint, VerifyResult } from "../core/audit.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { scanSecrets } from "../core/secrets.js";
import { apiUrlProblem } from "../adapters/github/commits.js";
import { githubOf, githubWitnesses, partialReason, type WitnessLimits, type WitnessReport } from "./audit-witness.js";
import { signCheckpoint, verifySignedCheckpoint } from "../core/audit-sign.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, consoleIo, groupUsage, runCommand, runGroup, type Context, type Io, type Options } from "./args.js";

const DATABASE = `database (every command but verify --file):
  --database-url URL     PostgreSQL (default: $DATABASE_URL unless --data-dir is given)
  --data-dir DIR         the embedded database's directory (default .agent-gate/data)
  --schema NAME          schema (default agent_gate)`;

const DB_OPTIONS = { "database-url": { type: "string" }, "data-dir": { type: "string" }, schema: { type: "string" } } as const;
const VERIFY_OPTIONS = { ...DB_OPTIONS, from: { type: "string" }, checkpoint: { type: "string", multiple: true }, file: { type: "string" }, witness: { type: "string" }, repo: { type: "string" }, "api-url": { type: "string" }, "app-id": { type: "string" }, "checkpoint-key": { type: "string" }, "allow-partial": { type: "boolean" } } as const;
const EXPORT_OPTIONS = { ...DB_OPTIONS, since: { type: "string" }, format: { type: "string" }, out: { type: "string" } } as const;
const CHECKPOINT_OPTIONS = { ...DB_OPTIONS, note: { type: "string" }, "sign-key": { type: "string" } } as const;

const usage = (line: string, more = ""): string => `usage: agent-gate audit ${line} [--json]\n${more ? `${more}\n` : ""}\n${DATABASE}\n\n${EXIT_CODES}`;
const EXIT_CODES = "exit codes: 0 ok, 1 broken chain / not found / replay differs, 2 usage or error (a replay that cannot be done included)";

type DbValues = { readonly "database-url"?: string | undefined; readonly "data-dir"?: string | undefined; readonly schema?: string | undefined };

function readCheckpoint(arg: string): Checkpoint {
  try {
    return parseCheckpoint(arg.startsWith("@") ? readFileSync(arg.slice(1), "utf8") : arg);
  } catch (err) {
    // A file's content is never quoted (the wrong file may be a key); an argument only when no secret is seen in it.
    const shown = arg.startsWith("@") ? `the file ${JSON.stringify(arg.slice(1))}` : scanSecrets(arg).length > 0 ? "an argument that looks like a secret (not shown)" : JSON.stringify(arg.length > 40 ? arg.slice(0, 40) + "…" : arg);
    throw new UsageError(`expected a checkpoint (SEQ:HASH, JSON, or @FILE), got ${shown}: ${describeError(err)}`);
  }
}

async function withStorage<T>(v: DbValues, fn: (s: Storage) => Promise<T>): Promise<T> {
  const databaseUrl = v["database-url"] ?? (v["data-dir"] === undefined ? process.env["DATABASE_URL"] || undefined : undefined);
  const dataDir = v["data-dir"] ?? DEFAULT_DATA_DIR;
  // Reading must not create: a mistyped --data-dir would otherwise verify a new, empty log as "ok".
  if (!databaseUrl && !existsSync(join(dataDir, "pg"))) {
    throw new AgentGateError("AUDIT_LOG_MISSING", `there is no embedded audit log in ${resolve(dataDir)} (nothing recorded there yet, or another --data-dir, or set DATABASE_URL)`);
  }
  const s = await openStorage({ databaseUrl, dataDir, schema: v.schema });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** What `audit verify --witness github` needs besides the console: GITHUB_TOKEN, GITHUB_API_URL and fetch. */
export interface AuditIo extends Io {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof globalThis.fetch;
  /** How much `--witness github` reads (default WITNESS_LIMITS). */
  readonly witnessLimits?: WitnessLimits;
}

function witnessSummary(w: WitnessReport): string {
  const more = w.skipped ? ` (${w.skipped} older commits not read)` : "";
  return `${w.checkpoints.length} witness${w.checkpoints.length === 1 ? "" : "es"} in ${w.runs} agent-gate check run${w.runs === 1 ? "" : "s"} on ${w.commits} commit${w.commits === 1 ? "" : "s"} of ${w.repository}${more}`;
}

const witnessJson = (w: WitnessReport): Record<string, unknown> => ({ repository: w.repository, commits: w.commits, skipped: w.skipped, partial: partialReason(w) ?? null, runs: w.runs, witnesses: w.checkpoints.map(({ seq, hash, source }) => ({ seq, hash, source })) });

function report(r: VerifyResult, where: string, ctx: Context<Options>, w?: WitnessReport, allowPartial = false): number {
  if (r.ok && w?.missing) {
    const reason = `record ${w.missing.seq} names ${w.repository}@${w.missing.headSha}, which has no agent-gate check run on GitHub: the App writes the check run before it records, so the record was forged or its commit rewritten`;
    r = { ok: false, seq: w.missing.seq, code: "WITNESS_MISSING", reason } as unknown as VerifyResult;
  }
  // A check that left witnesses unread is not a pass (a finding above still is a finding): exit 2 unless asked for.
  const partial = w ? partialReason(w) : undefined;
  if (r.ok && partial !== undefined && !allowPartial) {
    throw new CliFailure("WITNESS_INCOMPLETE", `the witness check is partial: ${partial}; the records read agree, but a partial check is not a pass (--allow-partial accepts it, and says so)`, EXIT_USAGE, { ok: false, where, witness: witnessJson(w!) });
  }
  if (r.ok) {
    const range = r.checked === 0 ? "no records" : `${r.checked} record${r.checked === 1 ? "" : "s"} (${r.first}..${r.head.seq})`;
    if (ctx.json) ctx.emit({ ...r, where, ...(w ? { witness: witnessJson(w) } : {}) });
    else ctx.io.out(`audit verify: ok: ${range} in ${where}; head ${r.head.seq}:${r.head.hash}${w ? `; against ${witnessSummary(w)}` : ""}${partial !== undefined ? `; PARTIAL (--allow-partial): ${partial}` : ""}`);
    return EXIT_OK;
  }
  if (ctx.json) ctx.emit({ ok: false, where, seq: r.seq, error: { code: r.code, message: r.reason }, ...(w ? { witness: witnessJson(w) } : {}) });
  else ctx.io.out(`audit verify: BROKEN at record ${r.seq} (${r.code}) in ${where}: ${r.reason}`);
  return EXIT_FAILED;
}

/** An export file: one record per line, each carrying its hash; verified with the same chain rules. */
function verifyFile(path: string, from: Checkpoint | undefined, checkpoints: SourcedCheckpoint[], ctx: Context<Options>): number {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "");
  const v = new ChainVerifier(from, checkpoints);
  for (const [i, line] of lines.entries()) {
    const r = rowFromExportLine(line);
    if (!("row" in r)) {
      const reason = `line ${i + 1} of ${path}: ${r.reason.slice(0, 200)}`;
      if (ctx.json) ctx.emit({ ok: false, where: path, line: i + 1, error: { code: r.code, message: reason } });
      else ctx.io.out(`audit verify: BROKEN at ${reason} (${r.code})`);
      return EXIT_FAILED;
    }
    const b = v.push(r.row);
    if (b) return report(b, path, ctx);
  }
  return report(v.finish(), path, ctx);
}

const verify = command(
  "verify",
  usage(
    "verify [--from SEQ:HASH] [--checkpoint CP]... [--file FILE] [--witness github --repo OWNER/REPO [--app-id ID] [--api-url URL] [--allow-partial]]",
    `verify the hash chain; reports the first broken link and why
  --from SEQ:HASH        start at this checkpoint (its own record is checked) instead of the first record
  --checkpoint CP        a checkpoint kept elsewhere (SEQ:HASH, JSON, or @FILE); repeatable
  --file FILE            verify an export (JSON lines) instead of the database
  --witness github       also check the log against the witnesses GitHub keeps: the audit log head in the footer
                         of each agent-gate check run on the repository's recorded commits (token: GITHUB_TOKEN)
  --repo OWNER/REPO      the repository whose check runs are read (with --witness)
  --app-id ID            the App whose check runs witness (default $APP_ID); runs by workflows or other Apps are
                         never witnesses: anyone who may run a workflow can create a check run of the same name
  --api-url URL          GitHub's API (default $GITHUB_API_URL, else https://api.github.com)
  --allow-partial        accept a witness check that left older commits or pull requests unread (past the newest
                         2,000 recorded head commits or 1,000 pull requests): without it that is exit 2,
                         WITNESS_INCOMPLETE; with it the output says PARTIAL and why
  --checkpoint-key PEM   every --checkpoint must be signed (audit checkpoint --sign-key) by this key's owner:
                         the App's public key (openssl rsa -in app.pem -pubout), or an Ed25519 public key`,
  ),
  VERIFY_OPTIONS,
  async (ctx) => {
    const v = ctx.values;
    const from = v.from ? readCheckpoint(v.from) : undefined;
    const key = v["checkpoint-key"] === undefined ? undefined : readFileSync(v["checkpoint-key"], "utf8");
    const checkpoints = (v.checkpoint ?? []).map((c) => {
      const source = `--checkpoint ${c.length > 40 ? c.slice(0, 40) + "…" : c}`;
      const cp = readCheckpoint(c);
      if (key === undefined) return { ...cp, source };
      try {
        return { ...verifySignedCheckpoint(c.startsWith("@") ? readFileSync(c.slice(1), "utf8") : c, key, source), source: `the signed ${source}` };
      } catch (err) {
        throw new CliFailure("AUDIT_CHECKPOINT_INVALID", describeError(err), EXIT_FAILED);
      }
    });
    const witness = witnessSource(v, ctx.io);
    if (v.file) {
      if (witness) throw new UsageError("--witness: expected with the database, not --file");
      return verifyFile(v.file, from, checkpoints, ctx);
    }
    return withStorage(v, async (s) => {
      const w = witness ? await githubWitnesses(s.audit, witness.repository, githubOf(witness, witness.appId), witness.appId, (ctx.io as AuditIo).witnessLimits) : undefined;
      return report(await s.audit.verify({ fromCheckpoint: from, checkpoints: [...checkpoints, ...(w?.checkpoints ?? [])] }), s.db.location, ctx, w, v["allow-partial"] === true);
    });
  },
);

function witnessSource(v: { witness?: string | undefined; repo?: string | undefined; "api-url"?: string | undefined; "app-id"?: string | undefined; "allow-partial"?: boolean | undefined }, io: AuditIo): ({ repository: string; appId: number } & Parameters<typeof githubOf>[0]) | undefined {
  if (v.witness === undefined) {
    if (v.repo !== undefined || v["api-url"] !== undefined || v["app-id"] !== undefined || v["allow-partial"] !== undefined) throw new UsageError("--repo, --app-id, --api-url and --allow-partial: expected with --witness github");
    return undefined;
  }
  if (v.witness !== "github") throw new UsageError(`--witness: expected github, got ${JSON.stringify(v.witness)}`);
  if (v.repo === undefined || !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(v.repo)) throw new UsageError("--witness github: expected --repo OWNER/REPO");
  const env = io.env ?? process.env;
  const appIdText = v["app-id"] ?? env["APP_ID"];
  if (appIdText === undefined || !/^[1-9][0-9]{0,15}$/.test(appIdText)) {
    throw new UsageError(`--witness github: expected --app-id (or APP_ID) as the App's numeric id, got ${appIdText === undefined ? "none" : JSON.stringify(appIdText.slice(0, 40))}: only the App's own check runs are witnesses`);
  }
  const api = v["api-url"] ?? env["GITHUB_API_URL"] ?? "https://api.github.com";
  const problem = apiUrlProblem(api);
  if (problem !== undefined) throw new UsageError(problem);
  return { repository: v.repo, appId: Number(appIdText), api: api.replace(/\/+$/, ""), token: env["GITHUB_TOKEN"] || undefined, fetch: io.fetch ?? globalThis.fetch };
}

const show = command("show", usage("show DECISION_ID", "print one recorded decision (JSON)"), DB_OPTIONS, (ctx) => {
  const id = ctx.positionals[0]!;
  return withStorage(ctx.values, async (s) => {
    const row = await s.audit.getRow(id);
    if (!row) throw new CliFailure("NOT_FOUND", `no decision ${id} in ${s.db.location}`, EXIT_FAILED);
    const record = await s.audit.get(id);
    if (chainHash(row.prev_hash, row.record) !== row.hash) {
      const message = `record ${row.seq} does not match its hash: it was modified after it was written (run audit verify)`;
      if (!ctx.json) ctx.io.out(JSON.stringify(record, null, 2));
      ctx.io.err(`audit show: WARNING: ${message}`);
      ctx.emit({ record, error: { code: "HASH_MISMATCH", message } });
      return EXIT_FAILED;
    }
    ctx.io.out(JSON.stringify(record, null, 2));
    return EXIT_OK;
  });
}, { min: 1, max: 1, what: "a DECISION_ID" });

const exportLines = command(
  "export",
  usage(
    "export [--since TIME] [--format jsonl] [--out FILE]",
    `print records as OPA decision-log JSON lines (with --json: one document {"records": [...]}, or {"out", "records": N} with --out)
  --since TIME           records decided at or after TIME (RFC 3339)
  --format jsonl         the only format
  --out FILE             write to FILE instead of standard output`,
  ),
  EXPORT_OPTIONS,
  async (ctx) => {
    const v = ctx.values;
    if ((v.format ?? "jsonl") !== "jsonl") throw new UsageError(`--format: expected jsonl, got ${v.format}`);
    const since = v.since;
    if (since !== undefined && !z.iso.datetime({ offset: true }).safeParse(since).success && !z.iso.date().safeParse(since).success) {
      throw new UsageError(`--since: expected an RFC 3339 time such as 2026-11-26T00:00:00Z, got ${JSON.stringify(since)}`);
    }
    let count = 0;
    // Streamed either way: with --json to stdout the lines become one array, each written when the next is known.
    const toStdout = ctx.json && !v.out;
    let pending: string | undefined;
    return withStorage(v, async (s) => {
      const out = v.out ? createWriteStream(v.out) : undefined;
      const write = (line: string): void => {
        if (out) out.write(line + "\n");
        else if (!toStdout) ctx.io.out(line);
        else {
          if (pending !== undefined) ctx.io.out(`${pending},`);
          pending = line;
        }
      };
      try {
        if (toStdout) {
          ctx.claim();
          ctx.io.out('{"records": [');
        }
        let after = 0;
        for (;;) {
          const page = await s.audit.list({ since, afterSeq: after, limit: 500 });
          for (const r of page) {
            write(canonicalize(r));
            count++;
          }
          if (page.length < 500) break;
          after = page.at(-1)!.seq;
        }
        if (toStdout) ctx.io.out(`${pending ?? ""}]}`);
      } finally {
        if (out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
      if (v.out) ctx.emit({ out: v.out, records: count });
      return EXIT_OK;
    });
  },
);

/** The policy engine as a Replayer. */
async function engineReplayer(): Promise<Replayer> {
  const { PolicyEngine, bundleDigest } = await import("../adapters/opa/engine.js");
  const enc = new TextEncoder();
  return {
    digest: (b) => bundleDigest(b.wasm, enc.encode(b.data)),
    evaluate: async (b, entrypoint, input, data) => {
      const engine = await PolicyEngine.load({ wasm: b.wasm, data: JSON.parse(b.data) as unknown, dataBytes: enc.encode(b.data), revision: b.revision, source: `stored bundle ${b.digest}` });
      const d = engine.evaluate(entrypoint, input, data === undefined ? {} : { data });
      return recordedResult(d);
    },
  };
}

const replay = command(
  "replay",
  usage("replay DECISION_ID", "re-evaluate the stored input with the stored policy bundle and data: 0 reproduced, 1 differs, 2 cannot replay"),
  DB_OPTIONS,
  async (ctx) => {
    const id = ctx.positionals[0]!;
    const replayer = await engineReplayer().catch(() => undefined);
    return withStorage(ctx.values, async (s) => {
      const r = await replayDecision(s.audit, s.bundles, replayer, id);
      switch (r.status) {
        case "not-found":
          throw new CliFailure("NOT_FOUND", `no decision ${id} in ${s.db.location}`, EXIT_FAILED);
        case "bundle-unavailable":
          throw new CliFailure("BUNDLE_UNAVAILABLE", `${id}: cannot replay: bundle not available: ${r.reason}`, EXIT_USAGE, { decision_id: id, digest: r.digest ?? null });
        case "engine-unavailable":
          throw new CliFailure("ENGINE_UNAVAILABLE", `${id}: cannot replay: the policy engine could not be loaded`, EXIT_USAGE, { decision_id: id, digest: r.digest });
        case "reproduced":
          if (ctx.json) ctx.emit({ decision_id: id, reproduced: true, digest: r.digest, result: r.replayed });
          else ctx.io.out(`audit replay: ${id}: reproduced with bundle ${r.digest}`);
          return EXIT_OK;
        case "differs": {
          const masked = r.masked.length ? `\n  note: these input paths were masked before storage and may explain it: ${r.masked.join(", ")}` : "";
          if (ctx.json) ctx.emit({ decision_id: id, reproduced: false, digest: r.digest, recorded: r.recorded, replayed: r.replayed, masked: r.masked, error: { code: "REPLAY_DIFFERS", message: `${id}: the replayed decision differs from the recorded one` } });
          else ctx.io.out(`audit replay: ${id}: DIFFERS with bundle ${r.digest}\n  recorded: ${canonicalize(r.recorded)}\n  replayed: ${canonicalize(r.replayed)}${masked}`);
          return EXIT_FAILED;
        }
      }
    });
  },
  { min: 1, max: 1, what: "a DECISION_ID" },
);

const checkpoint = command(
  "checkpoint",
  usage(
    "checkpoint [--note TEXT] [--sign-key PEM]",
    `record the current head and print it: keep a copy outside the database
  --sign-key PEM         sign it with this private key (default $PRIVATE_KEY_PATH, the App's key, when set):
                         {"seq", "hash", "note", "signature": {"alg", "key_id", "value"}} for verify --checkpoint-key`,
  ),
  CHECKPOINT_OPTIONS,
  (ctx) =>
    withStorage(ctx.values, async (s) => {
      const note = ctx.values.note ?? "";
      const keyFile = ctx.values["sign-key"] ?? (process.env["PRIVATE_KEY_PATH"] || undefined);
      const pem = keyFile === undefined ? undefined : readFileSync(keyFile, "utf8");
      const head = await s.audit.checkpoint(note);
      ctx.io.out(JSON.stringify(pem === undefined ? head : signCheckpoint(head, pem, note)));
      return EXIT_OK;
    }),
);

const head = command("head", usage("head", "print the head pointer"), DB_OPTIONS, (ctx) => withStorage(ctx.values, async (s) => (ctx.io.out(JSON.stringify(await s.audit.head())), EXIT_OK)));

function command<O extends Options>(
  name: string,
  text: string,
  options: O,
  body: (ctx: Context<O>) => Promise<number>,
  positionals?: { min: number; max: number; what: string },
): { summary: string; options: O; run: (argv: string[], io?: Io) => Promise<number> } {
  const summary = text.split("\n")[1] ?? "";
  const spec = { name: `audit ${name}`, usage: text, options, ...(positionals ? { positionals } : {}) };
  return { summary: summary.replace(/ \(with --json.*$/, ""), options, run: (argv, io = consoleIo()) => runCommand(spec, argv, io, body) };
}

const subcommands = { verify, show, export: exportLines, replay, checkpoint, head };
const GROUP_USAGE = groupUsage("audit", subcommands, `${DATABASE}\n\n${EXIT_CODES}`);

export function auditCommand(args: string[], io?: Io): Promise<number> {
  return runGroup({ name: "audit", usage: GROUP_USAGE, subcommands }, args, io);
}

export default { subcommands, run: auditCommand };
