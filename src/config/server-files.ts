// The files (and the one URL) the App's settings name: trusted roots, the key ring, the policy bundle, the TUF root.
// Read at start before the database is opened, all of them, so that one message names every bad one with its
// variable and what was expected, and a bad file never leaves a database opened (or its lock taken) behind.
import { accessSync, constants } from "node:fs";
import { loadPolicyBundle } from "../adapters/opa/bundle-source.js";
import type { PolicyBundle } from "../adapters/opa/engine.js";
import { loadNamedRoots, loadRootFile, parseRootList } from "../adapters/sigstore/trusted-root.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { readKeyRing, type AppEnv } from "./env.js";
import type { ServerSettings } from "./server-env.js";

export interface ServerFiles {
  /** AGENT_GATE_TRUSTED_ROOT's root, linted. */
  readonly trustedRoot: unknown;
  /** AGENT_GATE_TRUSTED_ROOTS's roots, each named. */
  readonly additionalRoots: { name: string; root: unknown }[];
  /** AGENT_GATE_TRUSTED_KEYS's keys by hint. */
  readonly keyRing: Map<string, string>;
  /** AGENT_GATE_POLICY_BUNDLE (pinned by AGENT_GATE_POLICY_SHA256), else the built-in bundle. */
  readonly bundle: PolicyBundle;
}

/** Every file setting read; throws ENV_INVALID listing each that failed, by variable. */
export async function loadServerFiles(env: AppEnv, settings: Pick<ServerSettings, "AGENT_GATE_TUF_ROOT">): Promise<ServerFiles> {
  const problems: string[] = [];
  const read = <T>(name: string, load: () => T): T | undefined => {
    try {
      return load();
    } catch (e) {
      const message = describeError(e);
      problems.push(message.startsWith(`${name}:`) ? message : `${name}: ${message}`);
      return undefined;
    }
  };
  const trustedRoot = env.AGENT_GATE_TRUSTED_ROOT ? read("AGENT_GATE_TRUSTED_ROOT", () => loadRootFile(env.AGENT_GATE_TRUSTED_ROOT!)) : undefined;
  const additionalRoots = env.AGENT_GATE_TRUSTED_ROOTS ? read("AGENT_GATE_TRUSTED_ROOTS", () => loadNamedRoots(parseRootList(env.AGENT_GATE_TRUSTED_ROOTS!))) : [];
  const keyRing = read("AGENT_GATE_TRUSTED_KEYS", () => readKeyRing(env.AGENT_GATE_TRUSTED_KEYS));
  const tufRoot = settings.AGENT_GATE_TUF_ROOT;
  if (tufRoot)
    read("AGENT_GATE_TUF_ROOT", () => {
      try {
        accessSync(tufRoot, constants.R_OK);
      } catch (e) {
        throw new Error(`cannot read ${tufRoot} (${e instanceof Error && "code" in e ? String(e.code) : "unreadable"}); expected the TUF repository's first root.json`);
      }
    });
  // The one path for the bundle: a pin without a location is refused there too (never the built-in policy instead).
  let bundle: PolicyBundle | undefined;
  try {
    bundle = await loadPolicyBundle({ ...(env.AGENT_GATE_POLICY_BUNDLE ? { location: env.AGENT_GATE_POLICY_BUNDLE } : {}), ...(env.AGENT_GATE_POLICY_SHA256 ? { sha256: env.AGENT_GATE_POLICY_SHA256 } : {}) });
  } catch (e) {
    problems.push(`AGENT_GATE_POLICY_BUNDLE: ${describeError(e)}`);
  }
  if (problems.length > 0 || keyRing === undefined || additionalRoots === undefined || bundle === undefined) {
    const head = problems.length === 1 ? "1 file setting is invalid" : `${problems.length} file settings are invalid`;
    throw new AgentGateError("ENV_INVALID", `${head}:\n  ${problems.join("\n  ")}`);
  }
  return { trustedRoot, additionalRoots, keyRing, bundle };
}
