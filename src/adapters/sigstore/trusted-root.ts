// Trusted roots: the pinned public-good root shipped in trust/, custom roots from files, and an online TUF
// refresh that keeps the last good root on disk and falls back to it. Every root is linted before it is used.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { AgentGateError, describeError } from "../../core/errors.js";
import { redactUrls } from "../../core/secure-url.js";
import { lintTrustedRoot, rememberPassed } from "./rootlint.js";
import type { RootFacts } from "./root-facts.js";

export type RootSource = "pinned" | "file" | "tuf" | "last-good";

export interface LoadedRoot {
  readonly root: unknown; // linted trusted_root.json
  readonly source: RootSource;
  readonly warning?: string; // why a fresher source was not used
  readonly fetchedAt?: number; // ms since the epoch the root was last fetched through TUF (tuf, last-good)
}

// src/adapters/sigstore and dist/adapters/sigstore both sit three levels below the package root
export const PINNED_ROOT_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "trust", "sigstore-production.json");

function assertLinted(root: unknown, where: string): unknown {
  const problems = lintTrustedRoot(root);
  if (problems.length > 0) throw new AgentGateError("TRUSTED_ROOT_INVALID", `${where} is refused: ${problems.join("; ")}`);
  return root;
}

/**
 * Reads and lints a trusted_root.json; throws AgentGateError TRUSTED_ROOT_INVALID naming the file and the reason.
 * The root comes back frozen and known to pass (a verifier built of it does not lint it again). With `facts`
 * (root-facts.ts), a root whose exact bytes passed before under the same build is not linted again either.
 */
export function loadRootFile(path: string, facts?: RootFacts): unknown {
  let json: unknown;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
    json = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", `cannot read trusted root ${path}: ${describeError(e)}`);
  }
  if (facts?.known(bytes) === true && typeof json === "object" && json !== null) {
    rememberPassed(json);
    return json;
  }
  assertLinted(json, `trusted root ${path}`);
  rememberPassed(json as object); // linted: an object
  facts?.passed(bytes);
  return json;
}

/** The public-good production root pinned in the project (byte-identical to @sigstore/tuf's seed). */
export function loadPinnedRoot(facts?: RootFacts): unknown {
  return loadRootFile(PINNED_ROOT_PATH, facts);
}

/**
 * GitHub's own Sigstore instance (attestations of private repositories: Fulcio and an RFC 3161 TSA, no tlog, no CT
 * log), pinned: the trusted_root.json target of GitHub's TUF repository as sigstore-rust embeds it (trust/README.md).
 */
export const GITHUB_ROOT_PATH = join(dirname(PINNED_ROOT_PATH), "github-trusted-root.json");

export function loadGithubRoot(): unknown {
  return loadRootFile(GITHUB_ROOT_PATH);
}

/** Roots known by name alone: a list entry "github" needs no path. */
export const PINNED_ROOTS: Readonly<Record<string, string>> = { "public-good": PINNED_ROOT_PATH, github: GITHUB_ROOT_PATH };

export interface RootListEntry {
  readonly name: string;
  readonly path: string;
}

/**
 * A list of named roots: entries "name=path" or a pinned root's bare name ("github", "public-good"), separated by
 * commas (AGENT_GATE_TRUSTED_ROOTS) or given one per flag (--trusted-root). A bare path is named `fallbackName`
 * when given. Throws TRUSTED_ROOT_INVALID naming the entry and what was expected.
 */
export function parseRootEntry(entry: string, fallbackName?: string): RootListEntry {
  const e = entry.trim();
  const eq = e.indexOf("=");
  if (eq > 0 && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(e.slice(0, eq))) return { name: e.slice(0, eq), path: e.slice(eq + 1) };
  const pinned = PINNED_ROOTS[e];
  if (pinned !== undefined) return { name: e, path: pinned };
  if (fallbackName !== undefined && e !== "") return { name: fallbackName, path: e };
  throw new AgentGateError("TRUSTED_ROOT_INVALID", `expected a trusted root entry NAME=PATH (NAME of lowercase letters, digits, '.', '_', '-') or a pinned root name (${Object.keys(PINNED_ROOTS).join(", ")}), got ${JSON.stringify(entry)}`);
}

export function parseRootList(list: string): RootListEntry[] {
  return list.split(",").filter((e) => e.trim() !== "").map((e) => parseRootEntry(e));
}

/** Reads and lints each root of the list, keeping its name. */
export function loadNamedRoots(entries: readonly RootListEntry[], facts?: RootFacts): { name: string; root: unknown }[] {
  return entries.map((e) => ({ name: e.name, root: loadRootFile(e.path, facts) }));
}

export interface TufSource {
  /** The TUF repository; default the public-good instance's (with @sigstore/tuf's embedded seed root). */
  readonly mirrorURL?: string;
  /** The root.json the repository is first trusted with (needed for any mirror but the public-good one). */
  readonly rootPath?: string;
  /** Retries of each download (default 2) and the deadline of each (default 10 s). */
  readonly retry?: number;
  readonly timeoutMs?: number;
}

export interface RefreshOptions {
  readonly cacheDir: string; // holds the TUF cache and trusted_root.last-good.json
  readonly fetchRoot?: (cacheDir: string) => Promise<unknown>; // default: TUF through @sigstore/tuf; tests stub it
  readonly tuf?: TufSource;
  readonly now?: () => number;
}

const lastGoodPath = (cacheDir: string): string => join(cacheDir, "trusted_root.last-good.json");

/** trusted_root.json through TUF: every metadata file checked against the trusted root.json before the target is read. */
export async function fetchThroughTuf(cacheDir: string, source: TufSource = {}): Promise<unknown> {
  // loaded only when refreshing: the TUF client and its HTTP stack would otherwise slow every CLI start
  const { getTrustedRoot } = await import("@sigstore/tuf");
  const root = await getTrustedRoot({
    cachePath: join(cacheDir, "tuf"),
    retry: source.retry ?? 2,
    timeout: source.timeoutMs ?? 10_000,
    ...(source.mirrorURL !== undefined ? { mirrorURL: source.mirrorURL } : {}),
    ...(source.rootPath !== undefined ? { rootPath: source.rootPath } : {}),
  });
  return TrustedRoot.toJSON(root);
}

/**
 * An error with its causes: the TUF client wraps the telling one ("timestamp was signed by 0/1 keys", an HTTP status).
 * A URL in them (the mirror's, with its credentials or a signed query) is shown by host and path only.
 */
export function describeWithCauses(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const status = typeof e === "object" && "statusCode" in e && typeof e.statusCode === "number" ? ` (HTTP ${e.statusCode})` : "";
    const text = `${describeError(e)}${status}`;
    if (!parts.includes(text)) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return redactUrls(parts.join(": "));
}

/** One TUF fetch: linted, then kept on disk as the last good root; throws (naming the cause) on any failure. */
export async function fetchAndKeep(opts: RefreshOptions, accept?: (root: unknown) => void): Promise<LoadedRoot & { source: "tuf"; fetchedAt: number }> {
  const fetchRoot = opts.fetchRoot ?? ((dir: string) => fetchThroughTuf(dir, opts.tuf));
  const root = assertLinted(await fetchRoot(opts.cacheDir), "the TUF trusted root");
  accept?.(root); // e.g. the verifier is built from it: a root that cannot be used is never kept as the last good one
  mkdirSync(opts.cacheDir, { recursive: true });
  const tmp = `${lastGoodPath(opts.cacheDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(root, null, 2));
  renameSync(tmp, lastGoodPath(opts.cacheDir)); // atomic: a crash never leaves a half-written last good root
  return { root, source: "tuf", fetchedAt: (opts.now ?? Date.now)() };
}

/** Refreshes the root through TUF; on any failure falls back to the last good root on disk, then to the pinned root. */
export async function refreshTrustedRoot(opts: RefreshOptions, accept?: (root: unknown) => void): Promise<LoadedRoot> {
  let why: string;
  try {
    return await fetchAndKeep(opts, accept);
  } catch (e) {
    why = `TUF refresh failed: ${describeWithCauses(e)}`;
  }
  try {
    // the file's modification time is when TUF last gave it (it is written only then)
    const path = lastGoodPath(opts.cacheDir);
    return { root: loadRootFile(path), source: "last-good", warning: why, fetchedAt: statSync(path).mtimeMs };
  } catch (e) {
    return { root: loadPinnedRoot(), source: "pinned", warning: `${why}; no usable last good root (${describeError(e)})` };
  }
}
