// Trusted roots: the pinned public-good root shipped in trust/, custom roots from files, and an online TUF
// refresh that keeps the last good root on disk and falls back to it. Every root is linted before it is used.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { AgentGateError, describeError } from "../../core/errors.js";
import { lintTrustedRoot } from "./rootlint.js";

export type RootSource = "pinned" | "file" | "tuf" | "last-good";

export interface LoadedRoot {
  readonly root: unknown; // linted trusted_root.json
  readonly source: RootSource;
  readonly warning?: string; // why a fresher source was not used
}

// src/adapters/sigstore and dist/adapters/sigstore both sit three levels below the package root
export const PINNED_ROOT_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "trust", "sigstore-production.json");

function assertLinted(root: unknown, where: string): unknown {
  const problems = lintTrustedRoot(root);
  if (problems.length > 0) throw new AgentGateError("TRUSTED_ROOT_INVALID", `${where} is refused: ${problems.join("; ")}`);
  return root;
}

/** Reads and lints a trusted_root.json; throws AgentGateError TRUSTED_ROOT_INVALID naming the file and the reason. */
export function loadRootFile(path: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new AgentGateError("TRUSTED_ROOT_INVALID", `cannot read trusted root ${path}: ${describeError(e)}`);
  }
  return assertLinted(json, `trusted root ${path}`);
}

/** The public-good production root pinned in the project (byte-identical to @sigstore/tuf's seed). */
export function loadPinnedRoot(): unknown {
  return loadRootFile(PINNED_ROOT_PATH);
}

export interface RefreshOptions {
  readonly cacheDir: string; // holds the TUF cache and trusted_root.last-good.json
  readonly fetchRoot?: (cacheDir: string) => Promise<unknown>; // default: TUF through @sigstore/tuf; tests stub it
}

const lastGoodPath = (cacheDir: string): string => join(cacheDir, "trusted_root.last-good.json");

async function fetchThroughTuf(cacheDir: string): Promise<unknown> {
  // loaded only when refreshing: the TUF client and its HTTP stack would otherwise slow every CLI start
  const { getTrustedRoot } = await import("@sigstore/tuf");
  const root = await getTrustedRoot({ cachePath: join(cacheDir, "tuf"), retry: 2, timeout: 10_000 });
  return TrustedRoot.toJSON(root);
}

/** Refreshes the root through TUF; on any failure falls back to the last good root on disk, then to the pinned root. */
export async function refreshTrustedRoot(opts: RefreshOptions): Promise<LoadedRoot> {
  const fetchRoot = opts.fetchRoot ?? fetchThroughTuf;
  let why: string;
  try {
    const root = assertLinted(await fetchRoot(opts.cacheDir), "the TUF trusted root");
    mkdirSync(opts.cacheDir, { recursive: true });
    const tmp = `${lastGoodPath(opts.cacheDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(root, null, 2));
    renameSync(tmp, lastGoodPath(opts.cacheDir)); // atomic: a crash never leaves a half-written last good root
    return { root, source: "tuf" };
  } catch (e) {
    why = `TUF refresh failed: ${describeError(e)}`;
  }
  try {
    return { root: loadRootFile(lastGoodPath(opts.cacheDir)), source: "last-good", warning: why };
  } catch (e) {
    return { root: loadPinnedRoot(), source: "pinned", warning: `${why}; no usable last good root (${describeError(e)})` };
  }
}
