// Checks of the App's settings beyond each value's own shape: names agent-gate does not know (a misspelt
// AGENT_GATE_METRICS_TOKEN left /metrics open), and connections that would carry the App's data or credentials in
// the clear. Used by server-env.ts, whose message lists every problem at once.
import { isLoopbackHost } from "../core/secure-url.js";

/**
 * AGENT_GATE_* variables read elsewhere than the App's settings, which an App's environment may legitimately hold
 * (a shell or CI job that also runs the CLI, the tests or the benchmarks): never refused.
 */
export const OTHER_AGENT_GATE_NAMES: Readonly<Record<string, string>> = {
  AGENT_GATE_ENV_FILE: "the env file `npm start` reads (server-env.ts, loadEnvFile)",
  AGENT_GATE_CODE_CACHE: "the CLI's compile cache (bin/code-cache.js)",
  AGENT_GATE_BENCH_STATEMENTS: "the load benchmark's statement counts (bench/load-statements.mjs)",
  AGENT_GATE_DIFF_SEED: "the policy differential test's seed",
  AGENT_GATE_DIFF_RUNS: "the policy differential test's runs",
  AGENT_GATE_SKIP_COSIGN: "scripts/install-tools.sh",
  AGENT_GATE_SKIP_GITSIGN: "scripts/install-tools.sh",
  AGENT_GATE_SKIP_CHROMIUM: "scripts/install-tools.sh",
  AGENT_GATE_SKIP_CONTAINERS: "scripts/install-tools.sh",
};

/** One problem per AGENT_GATE_* variable that is set and not a known name, with the closest known name. */
export function unknownNames(env: NodeJS.ProcessEnv, known: readonly string[]): string[] {
  const all = [...known, ...Object.keys(OTHER_AGENT_GATE_NAMES)];
  const names = new Set(all);
  return Object.keys(env)
    .filter((name) => name.startsWith("AGENT_GATE_") && !names.has(name))
    .sort()
    .map((name) => `${name}: not a setting agent-gate knows (a misspelt name is ignored, its setting left at its default); did you mean ${closest(name, all)}? (docs/operations.md and src/config/server-env.ts list them)`);
}

function closest(name: string, known: readonly string[]): string {
  let best = known[0] ?? "";
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Levenshtein distance (names are short: at most ~50 characters). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The TLS modes under which node-pg verifies the server's certificate (anything else, or none, sends in the clear or unverified). */
const VERIFIED = new Set(["verify-full", "verify-ca"]);

/**
 * Why DATABASE_URL would reach a server other than this machine's without verified TLS, or undefined. A Unix socket
 * (`?host=/path`) and loopback are this machine; `sslmode=verify-full` (or `verify-ca`) is verified TLS.
 */
export function databaseTlsProblem(url: string): string | undefined {
  let host = "(unparsed)";
  let sslmode: string | null = null;
  try {
    const u = new URL(url);
    const socket = u.searchParams.get("host");
    host = socket ?? decodeURIComponent(u.hostname);
    sslmode = u.searchParams.get("sslmode");
    if (host === "" || host.startsWith("/") || isLoopbackHost(host)) return undefined;
  } catch {
    // not a URL node's parser takes (several hosts, say): judged by its sslmode alone
    sslmode = /[?&]sslmode=([a-z-]+)/.exec(url)?.[1] ?? null;
  }
  if (sslmode !== null && VERIFIED.has(sslmode)) return undefined;
  return `connects to ${host} ${sslmode === null ? "without sslmode, so in the clear" : `with sslmode=${sslmode}, which does not verify the server`}; expected ?sslmode=verify-full (with sslrootcert=FILE for a private CA), or AGENT_GATE_ALLOW_PLAINTEXT_DATABASE=1 for a network you trust (logged at start)`;
}
