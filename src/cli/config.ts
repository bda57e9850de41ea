// `agent-gate config validate [FILE | --repo OWNER/REPO]`: checks a .github/agent-gate.yml and every base its
// `_extends` chain names, as the App would read them, and reports each error with its file, line and column; then
// warns about entries that can never match anything (a `*` in an identity compared exactly, a glob with `//`).
// FILE: bases live in other repositories, so offline they are read from `--root DIR` (DIR/REPO/PATH) or reported
// as not checked; --repo: the files on GitHub's default branches, as the App reads them (token optional).
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { Octokit } from "@octokit/rest";
import { CONFIG_PATH, ConfigSource, configFiles, type ConfigText } from "../adapters/github/config-source.js";
import { MAX_CONFIG_CHAIN, extendsTarget, loadRepoConfig } from "../app/load-config.js";
import { readConfigDocument, validateRepoConfig, type ConfigError } from "../config/repo-config.js";
import type { Locate } from "../config/config-document.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { redact } from "../core/secrets.js";
import { secureUrlProblem } from "../core/secure-url.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, consoleIo, groupUsage, runCommand, runGroup, type Io } from "./args.js";
import { readConfigFile } from "./config-file.js";
import { confirmReach } from "./config-reach.js";
import { neverMatching } from "./config-lint.js";
import { IMPACT_OPTIONS, configImpactCommand } from "./config-impact.js";
import { isRevocationFile, validateRevocationFile, withOwnerRevocations } from "./config-revocations.js";

const USAGE = `usage: agent-gate config validate [FILE [--root DIR] | --repo OWNER/REPO [--token TOKEN] [--api-url URL]] [--json]

Checks a config and every base its _extends chain names, with errors by file, line and column, and warns about
entries that can never match (a * or a regular expression in an identity compared exactly, a glob with //).
  FILE              a config file (default ${CONFIG_PATH} when neither FILE nor --repo is given); a file
                    named agent-gate-revocations.yml is checked as the organisation's revocation list
  --repo OWNER/REPO the config on GitHub as the App reads it: the repository's default branch, else the
                    organisation's .github repository, and each base from its default branch; and the
                    owner's revocation list (.github repository, .github/agent-gate-revocations.yml).
                    A repository the token cannot read is exit 2 (REPO_UNREADABLE), as is an owner's .github
                    that reads as missing unless the token's installation covers all the owner's repositories
                    or AGENT_GATE_OWNERS_WITHOUT_ORG_REPO names the owner (ORG_REPO_UNCONFIRMED), as in the App
  --root DIR        where FILE's bases are, offline: _extends REPO:PATH is read from DIR/REPO/PATH
                    (without it, bases are named but not checked)
  --token TOKEN     read access to private repositories (default: GITHUB_TOKEN)
  --api-url URL     GitHub Enterprise Server's API (default https://api.github.com)
  --json            one document: {"valid", "files", "errors": [...], "warnings": [...], "unchecked": [...]}

exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage or a file or repository that cannot be read`;

const OPTIONS = { root: { type: "string" }, repo: { type: "string" }, token: { type: "string" }, "api-url": { type: "string" } } as const;

export interface Finding {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path: string;
  readonly message: string;
}

export interface Validation {
  readonly valid: boolean;
  /** The chain as read, the first file first. */
  readonly files: readonly string[];
  readonly errors: readonly Finding[];
  readonly warnings: readonly Finding[];
  /** Bases named but not read (offline without --root). */
  readonly unchecked: readonly string[];
}

/** FILE's owner when no base names one: never shown (bases of one owner are named REPO:PATH). */
const UNKNOWN_OWNER = "OWNER";

const finding = (file: string, e: ConfigError): Finding => ({ file, ...(e.line !== undefined ? { line: e.line, column: e.col ?? 1 } : {}), path: e.path, message: e.message });

/** Reads a FILE given on the command line and its bases under --root, as a ConfigSource for loadRepoConfig. */
class LocalConfigSource extends ConfigSource {
  constructor(
    private readonly file: string,
    private readonly root: string | undefined,
  ) {
    super();
  }

  override load(_octokit: unknown, _owner: string, repo: string): Promise<ConfigText | null> {
    return Promise.resolve(text(readConfigFile(this.file), this.file, repo, CONFIG_PATH));
  }

  override fetchFile(_octokit: unknown, _owner: string, repo: string, path: string): Promise<ConfigText | null> {
    // extendsTarget allows only plain relative paths; a repository named "." or ".." would still leave the root.
    if (this.root === undefined || repo === "." || repo === "..") return Promise.resolve(null);
    const file = join(this.root, repo, path);
    return Promise.resolve(existsSync(file) ? text(readConfigFile(file), file, repo, path) : null);
  }
}

function text(body: string, source: string, repo: string, path: string): ConfigText {
  return { text: body, source, repo, path, digest: "" };
}

/** Walks the chain as loadRepoConfig does, but reports every file's errors with their place instead of the first. */
export async function validateChain(
  source: ConfigSource,
  octokit: Pick<Octokit, "request">,
  where: { readonly owner: string; readonly repo: string; readonly name: string },
  offline: { readonly root?: string } | undefined,
): Promise<Validation> {
  const { owner, repo } = where;
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const unchecked: string[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const keyOf = (r: string, path: string): string => `${owner}/${r}:${path}`.toLowerCase();
  const readable = async (read: () => Promise<ConfigText | null>, file: string, locate?: Locate): Promise<ConfigText | null | undefined> => {
    try {
      return await read();
    } catch (err) {
      // Too large or not a file: the config's fault, as the App would say; anything else (network, 403) is operational.
      if (err instanceof AgentGateError && (err.code === "CONFIG_TOO_LARGE" || err.code === "CONFIG_UNREADABLE")) {
        errors.push({ file, ...position(locate, ["_extends"]), path: locate ? "_extends" : "", message: err.message });
        return undefined;
      }
      throw err;
    }
  };
  let current = await readable(() => source.load(octokit, owner, repo), where.name);
  if (current === null) return { valid: true, files, errors, warnings, unchecked };
  while (current) {
    const file = current.source;
    files.push(file);
    seen.add(keyOf(current.repo, current.path));
    const doc = readConfigDocument(current.text, file);
    if (!doc.ok) {
      errors.push(...doc.errors.map((e) => finding(file, e)));
      if (doc.messages.length > doc.errors.length) errors.push({ file, path: "", message: doc.messages.at(-1)! });
      break;
    }
    const alone = validateRepoConfig(doc.value, doc.locate, file);
    if (!alone.ok) {
      errors.push(...alone.errors.map((e) => finding(file, e)));
      if (alone.messages.length > alone.errors.length) errors.push({ file, path: "", message: alone.messages.at(-1)! });
    }
    warnings.push(...neverMatching(doc.value).map((w) => ({ file, ...position(doc.locate, w.path), path: w.path.join("."), message: w.message })));
    const ext = (doc.value as { _extends?: unknown } | null)?._extends;
    if (typeof ext !== "string") break;
    const at = { file, ...position(doc.locate, ["_extends"]), path: "_extends" };
    let target;
    try {
      target = extendsTarget(ext, owner, file);
    } catch (err) {
      errors.push({ ...at, message: describeError(err).replace(`${file}: _extends: `, "") });
      break;
    }
    const where = `${target.owner === UNKNOWN_OWNER ? "" : `${target.owner}/`}${target.repo}:${target.path}`;
    if (seen.has(keyOf(target.repo, target.path))) {
      errors.push({ ...at, message: `${ext} leads back to a config already in the chain (a loop)` });
      break;
    }
    if (files.length >= MAX_CONFIG_CHAIN) {
      errors.push({ ...at, message: `the chain is longer than ${MAX_CONFIG_CHAIN} files` });
      break;
    }
    if (offline && offline.root === undefined) {
      unchecked.push(where);
      warnings.push({ ...at, message: `the base ${where} is on GitHub and was not checked: give --root DIR holding ${target.repo}/${target.path}, or validate with --repo` });
      break;
    }
    const next: ConfigText | null | undefined = await readable(() => source.fetchFile(octokit, target.owner, target.repo, target.path), file, doc.locate);
    if (next === null) errors.push({ ...at, message: offline ? `${ext}: ${join(offline.root ?? "", target.repo, target.path)} does not exist` : `${where} does not exist on its default branch` });
    current = next;
  }
  if (errors.length === 0 && unchecked.length === 0 && files.length > 1) {
    // Every file is valid alone: the merged chain is judged by the App's own loader, so the two cannot disagree.
    try {
      await loadRepoConfig(configFiles(source, octokit), owner, repo, { revocations: false });
    } catch (err) {
      if (!(err instanceof AgentGateError) || err.code !== "CONFIG_INVALID") throw err;
      const details = err.details.length > 0 ? err.details : [err.message];
      const merged = `${files[0]} extending ${files.slice(1).join(", then ")}`;
      for (const d of details) errors.push({ file: merged, path: "", message: d.startsWith(`${merged}: `) ? d.slice(merged.length + 2) : d });
    }
  }
  // In reading order: by file as the chain goes, then by line and column (zod reports by schema order).
  const rank = (f: string): number => (files.includes(f) ? files.indexOf(f) : files.length);
  const order = (a: Finding, b: Finding): number => rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
  // A message may quote a value: one that looks like a secret (a token pasted into the config) is masked, in text and --json.
  const masked = (f: Finding): Finding => ({ ...f, message: redact(f.message) });
  return { valid: errors.length === 0, files, errors: errors.sort(order).map(masked), warnings: warnings.sort(order).map(masked), unchecked };
}

function position(locate: Locate | undefined, path: readonly (string | number)[]): { line?: number; column?: number } {
  const p = locate?.(path);
  return p ? { line: p.line, column: p.col } : {};
}

const format = (kind: string, f: Finding): string => `${f.file}${f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : ""}: ${kind}: ${f.path ? `${f.path}: ` : ""}${f.message}`;

const noNetwork: Pick<Octokit, "request"> = { request: (() => Promise.reject(new Error("offline: no GitHub requests"))) as unknown as Octokit["request"] };

export function configValidate(argv: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand({ name: "config validate", usage: USAGE, options: OPTIONS, positionals: { min: 0, max: 1, what: "FILE" } }, argv, io, async ({ values, positionals, json, emit }) => {
    const [file] = positionals;
    let result: Validation;
    if (values.repo !== undefined) {
      if (file !== undefined || values.root !== undefined) throw new UsageError("give FILE (with --root) or --repo, not both");
      const m = /^([^/\s]+)\/([^/\s]+)$/.exec(values.repo);
      if (!m) throw new UsageError(`--repo: expected OWNER/REPO, got ${JSON.stringify(values.repo)}`);
      const token = values.token ?? process.env.GITHUB_TOKEN;
      const apiProblem = values["api-url"] === undefined ? undefined : secureUrlProblem(values["api-url"], "GitHub API"); // the token is sent there
      if (apiProblem !== undefined) throw new UsageError(`--api-url: ${apiProblem}`);
      const octokit = new Octokit({ ...(token ? { auth: token } : {}), ...(values["api-url"] ? { baseUrl: values["api-url"] } : {}), retry: { enabled: false } });
      await confirmReach(octokit, m[1]!, m[2]!, process.env, Boolean(token));
      const source = new ConfigSource();
      // The owner's revocation list applies to the repository too: checked beside its config.
      result = await withOwnerRevocations(await validateChain(source, octokit, { owner: m[1]!, repo: m[2]!, name: values.repo }, undefined), source, octokit, m[1]!);
      if (result.files.length === 0 && !json) io.out(`${values.repo} has no ${CONFIG_PATH} on its default branch, nor ${m[1]}/.github: every default applies`);
    } else {
      if (values.token !== undefined || values["api-url"] !== undefined) throw new UsageError("--token and --api-url go with --repo");
      const path = file ?? CONFIG_PATH;
      if (!existsSync(path)) throw new CliFailure("FILE_NOT_FOUND", `${path} does not exist; expected a config file (or --repo OWNER/REPO)`);
      if (values.root !== undefined && !existsSync(values.root)) throw new CliFailure("FILE_NOT_FOUND", `--root ${values.root} does not exist`);
      // The file's own repository is unknown offline: bases are named REPO or OWNER/REPO of one owner, so the owner
      // a base names is taken as the file's own (another owner further down the chain is still refused).
      const owner = ownerNamed(path) ?? UNKNOWN_OWNER;
      result = isRevocationFile(path) ? validateRevocationFile(readConfigFile(path), path) : await validateChain(new LocalConfigSource(path, values.root), noNetwork, { owner, repo: basename(path), name: path }, values.root !== undefined ? { root: values.root } : {});
    }
    if (json) emit(result);
    else {
      for (const e of result.errors) io.err(format("error", e));
      for (const w of result.warnings) io.err(format("warning", w));
      if (result.files.length > 0) {
        const chain = result.files.join(" -> ");
        io.out(`${result.valid ? "valid" : "INVALID"}: ${chain}${result.unchecked.length ? ` (not checked: ${result.unchecked.join(", ")})` : ""}; ${result.errors.length} error(s), ${result.warnings.length} warning(s)`);
      }
    }
    return result.valid ? EXIT_OK : EXIT_FAILED;
  });
}

/** The owner an `OWNER/REPO` base names in FILE, if it names one (read leniently: errors are reported later). */
function ownerNamed(path: string): string | undefined {
  try {
    const doc = readConfigDocument(readConfigFile(path), path);
    const ext = doc.ok ? (doc.value as { _extends?: unknown } | null)?._extends : undefined;
    return typeof ext === "string" ? /^([A-Za-z0-9-]+)\//.exec(ext)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

const subcommands = {
  validate: { summary: "check a config and its _extends chain: errors by file, line and column; warnings for entries that never match", options: OPTIONS, run: configValidate },
  impact: { summary: "replay a repository's recorded decisions under a new config: the verdicts that would change", options: IMPACT_OPTIONS, run: configImpactCommand },
};
const GROUP_USAGE = groupUsage("config", subcommands);

export default { subcommands, run: (args: string[], io?: Io): Promise<number> => runGroup({ name: "config", usage: GROUP_USAGE, subcommands }, args, io) };
