// The repository's config as both gates judge by it: .github/agent-gate.yml from the default branch (else the
// organisation's .github repository), with the bases it names in `_extends` merged under it. Every file is read
// from a default branch; a pull request never changes any of them.
import { CONFIG_PATH, type ConfigText } from "../adapters/github/config-source.js";
import type { ConfigFiles } from "../adapters/github/facts-port.js";
import { LruCache } from "../adapters/lru.js";
import { sha256Hex } from "../core/digest.js";
import { deepFreeze } from "../core/freeze.js";
import { AgentGateError, describeError } from "../core/errors.js";
import type { ConfigFacts } from "../core/facts.js";
import { defaultRepoConfig, readConfigDocument, validateRepoConfig, type RepoConfig } from "../config/repo-config.js";
import { parseRevocations, REVOCATIONS_PATH, REVOCATIONS_REPO, type RevokedData } from "../config/revocations.js";
import { putOwn } from "../core/own.js";

/** Files in one chain at most: the repository's and four bases. */
export const MAX_CONFIG_CHAIN = 5;

export interface LoadedConfig {
  readonly config: RepoConfig;
  readonly facts: ConfigFacts;
  /** Where each file of the chain came from, the repository's (or organisation's) first. */
  readonly files: readonly string[];
  /** The organisation's revocation list (docs/revocation.md), when its `.github` repository has one. */
  readonly revoked?: RevokedData;
}

const DEFAULT_DIGEST = `sha256:${"0".repeat(64)}`;

/** `_extends: REPO`, `OWNER/REPO`, either with `:PATH`: the base's location. The owner must be the repository's own. */
export function extendsTarget(value: string, owner: string, from: string): { owner: string; repo: string; path: string } {
  const m = /^(?:([A-Za-z0-9-]+)\/)?([A-Za-z0-9._-]+)(?::([^:]+))?$/.exec(value);
  if (!m) throw invalid(`${from}: _extends: expected REPO, OWNER/REPO, or either with :PATH, got ${JSON.stringify(value)}`);
  const baseOwner = m[1] ?? owner;
  if (baseOwner.toLowerCase() !== owner.toLowerCase()) {
    // The installation may not read another owner's repositories, and an organisation's policy is its own.
    throw invalid(`${from}: _extends: ${JSON.stringify(value)} names another owner; expected a repository of ${owner}`);
  }
  const path = m[3] ?? CONFIG_PATH;
  if (path.startsWith("/") || path.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw invalid(`${from}: _extends: ${JSON.stringify(path)} is not a plain relative path in the repository`);
  }
  return { owner, repo: m[2]!, path };
}

/** Objects merge key by key; anything else (lists included) in `over` replaces what `base` had. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = {};
  // A key "__proto__" stays a key (core/own.ts), and the schema refuses it.
  for (const [k, v] of Object.entries(base)) putOwn(out, k, v);
  for (const [k, v] of Object.entries(over)) putOwn(out, k, Object.hasOwn(base, k) ? mergeConfig(base[k], v) : v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(message: string, details?: readonly string[]): AgentGateError {
  return new AgentGateError("CONFIG_INVALID", message, "invalid-input", details ? { details } : undefined);
}

function firstOf(messages: readonly string[], fallback: string): string {
  return `${messages[0] ?? fallback}${messages.length > 1 ? ` (+${messages.length - 1} more)` : ""}`;
}

// Readings by content. A repository's config is read from GitHub at every event, and parsing and validating the same
// bytes again was ~2 % of the App's CPU per event (`npm run bench -- load`). A file's reading is keyed by where it came
// from (its errors name it) and the sha256 of its exact text, a chain's by its files' keys in order: a changed byte
// is a new reading. Failures are remembered too (the same bytes fail the same way). Values are deep-frozen: every
// evaluation of the repository shares them. Bounded by entries and by the text they stand for.
type Reading<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };
const fileReadings = new LruCache<string, Reading<unknown>>(1000, 16 * 2 ** 20);
const chainReadings = new LruCache<string, Reading<RepoConfig>>(1000, 16 * 2 ** 20);

/** One file of the chain, valid on its own (so that an error names the file and line it is in), as a value. */
function readFile(file: ConfigText): { value: unknown; key: string } {
  const key = `${file.source}\n${sha256Hex(file.text)}`;
  let reading = fileReadings.get(key);
  if (!reading) {
    reading = deepFreeze(readFileText(file));
    fileReadings.set(key, reading, key.length + file.text.length);
  }
  if (reading.ok) return { value: reading.value, key };
  throw invalid(firstOf(reading.problems, `${file.source} is invalid`), reading.problems);
}

function readFileText(file: ConfigText): Reading<unknown> {
  let problems: readonly string[] | undefined;
  try {
    const doc = readConfigDocument(file.text, file.source);
    if (!doc.ok) problems = doc.messages;
    else {
      const alone = validateRepoConfig(doc.value, doc.locate, file.source);
      if (alone.ok) return { ok: true, value: doc.value };
      problems = alone.messages;
    }
  } catch (err) {
    // Whatever the file holds, it is the file's fault, reported as such: never an internal error at every evaluation.
    problems = [`${file.source}: could not be read as a config: ${describeError(err)}`];
  }
  return { ok: false, problems };
}

/**
 * The owner's revocation list from its `.github` repository's default branch, or undefined when there is none. A
 * broken list is CONFIG_INVALID naming the file and line: every evaluation of the owner then fails (fail closed).
 */
export async function loadRevocations(github: ConfigFiles, owner: string): Promise<RevokedData | undefined> {
  const file = await github.configFile(owner, REVOCATIONS_REPO, REVOCATIONS_PATH);
  if (!file) return undefined;
  let problems: readonly string[];
  try {
    const result = parseRevocations(file.text, file.source);
    if (result.ok) {
      const { version: _version, ...lists } = result.revocations;
      return { ...lists, source: file.source, digest: file.digest };
    }
    problems = result.messages;
  } catch (err) {
    problems = [`${file.source}: could not be read as a revocation list: ${describeError(err)}`];
  }
  throw invalid(firstOf(problems, `${file.source} is invalid`), problems);
}

/**
 * The repository's config and its owner's revocation list. The revocation list's digest joins the config digest
 * (a change to it is a new evaluation, never a duplicate of an earlier one).
 */
export async function loadRepoConfig(github: ConfigFiles, owner: string, repo: string, opts: { readonly revocations?: boolean } = {}): Promise<LoadedConfig> {
  // Without revocations: the CLI's checks of a config file alone (config validate, config impact).
  if (opts.revocations === false) return loadConfigChain(github, owner, repo);
  const [loaded, revoked] = await Promise.all([loadConfigChain(github, owner, repo), loadRevocations(github, owner)]);
  if (!revoked) return loaded;
  const digest = `sha256:${sha256Hex(JSON.stringify([loaded.facts.digest, revoked.digest]))}`;
  return { ...loaded, facts: { ...loaded.facts, digest }, revoked };
}

/** Reads, validates and merges the chain; any broken file, missing base, loop or foreign owner is CONFIG_INVALID. */
async function loadConfigChain(github: ConfigFiles, owner: string, repo: string): Promise<LoadedConfig> {
  const first = await github.repoConfig(owner, repo);
  if (!first) return { config: defaultRepoConfig(), facts: { source: "default", path: CONFIG_PATH, digest: DEFAULT_DIGEST }, files: [] };
  // The repository had none, so the organisation's .github repository's applies.
  const fromOrganization = repo !== ".github" && first.repo === ".github";
  const chain: { text: ConfigText; value: unknown; key: string }[] = [];
  const seen = new Set<string>();
  const keyOf = (r: string, path: string): string => `${owner}/${r}:${path}`.toLowerCase();
  let current: ConfigText | null = first;
  while (current) {
    seen.add(keyOf(current.repo, current.path));
    const doc = readFile(current);
    chain.push({ text: current, value: doc.value, key: doc.key });
    // A string: the file was validated above.
    const ext = isPlainObject(doc.value) ? (doc.value["_extends"] as string | undefined) : undefined;
    if (ext === undefined) break;
    const target = extendsTarget(ext, owner, current.source);
    if (seen.has(keyOf(target.repo, target.path))) throw invalid(`${current.source}: _extends: ${ext} leads back to a config already in the chain (a loop)`);
    if (chain.length >= MAX_CONFIG_CHAIN) throw invalid(`${current.source}: _extends: the chain is longer than ${MAX_CONFIG_CHAIN} files`);
    const next = await github.configFile(target.owner, target.repo, target.path);
    if (!next) throw invalid(`${current.source}: _extends: ${target.owner}/${target.repo}:${target.path} does not exist on its default branch`);
    current = next;
  }
  const files = chain.map((f) => f.text.source);
  const what = chain.length === 1 ? first.source : `${first.source} extending ${files.slice(1).join(", then ")}`;
  const chainKey = JSON.stringify(chain.map((f) => f.key));
  let result = chainReadings.get(chainKey);
  if (!result) {
    let merged: unknown = {};
    for (const file of [...chain].reverse()) merged = mergeConfig(merged, file.value);
    if (isPlainObject(merged)) delete merged["_extends"];
    const validated = validateRepoConfig(merged, undefined, what);
    result = deepFreeze(validated.ok ? { ok: true as const, value: validated.config } : { ok: false as const, problems: validated.messages });
    chainReadings.set(chainKey, result, chainKey.length + chain.reduce((n, f) => n + f.text.text.length, 0));
  }
  if (!result.ok) throw invalid(firstOf(result.problems, `${what} is invalid`), result.problems);
  // One file: its own digest (as before bases existed). A chain: the digest of every file's digest, in order.
  const digest =
    chain.length === 1
      ? first.digest
      : `sha256:${sha256Hex(JSON.stringify(chain.map((f) => [f.text.source, f.text.digest])))}`;
  return {
    config: result.value,
    facts: { source: fromOrganization ? "organization" : "repository", path: CONFIG_PATH, digest },
    files,
  };
}
