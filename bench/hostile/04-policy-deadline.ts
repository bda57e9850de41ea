// Class 4, policy evaluation without a deadline: the costliest config the schema allows (its most globs, of 256
// characters and 16 wildcards, no literal prefix) against GitHub's largest pull request (3,000 changed paths, as long as the
// 8 MiB input cap allows), timed on the calling thread; then the cases that cost more than any deadline (every path
// protected and unapproved, which paths.rego's per-path pattern lists make quadratic), answered by the App's pool at
// its deadline while an ordinary evaluation on the same pool is answered as usual.
import { CONFIG_LIKE } from "../../src/app/evaluate-pull-request.js";
import { builtinBundle } from "../../src/adapters/opa/bundle-source.js";
import { DEFAULT_POLICY_DEADLINE_MS, PULL_REQUEST_ENTRYPOINT, PolicyEngine } from "../../src/adapters/opa/engine.js";
import { PolicyPool } from "../../src/adapters/opa/pool.js";
import { MAX_GLOB_LENGTH, MAX_GLOB_PATTERNS, MAX_GLOB_WILDCARDS } from "../../src/config/glob-cost.js";
import { AgentGateError } from "../../src/core/errors.js";
import type { HostileRow } from "../hostile.js";
import { dataFor, loadCases } from "../../test/policies/support.js";

const CLASS = "4 policy deadline";
const FILES = 3000;
const rss = (): number => process.resourceUsage().maxRSS / 1024;

function base(): { input: Record<string, unknown>; config: Record<string, unknown> } {
  const c = loadCases().find((x) => x.name === "pr-signed-agent-passes");
  if (!c) throw new Error("fixtures/policy/pr-signed-agent-passes.json is missing");
  return { input: structuredClone(c.input), config: structuredClone(c.config) as Record<string, unknown> };
}

const files = (path: (i: number) => string) => Array.from({ length: FILES }, (_, i) => ({ path: path(i), status: "modified", additions: 1, deletions: 0, agent_touched: true }));

/** The glob shapes that cost the most per match, each at the schema's caps, distinct per pattern. */
const SHAPES: Record<string, (i: number) => string> = {
  "[class]*": (i) => pad(`[${"abcdefghij"}]*`.repeat(MAX_GLOB_WILDCARDS / 2) + `z${i}`),
  "*a*a...": (i) => pad(`*${"a".repeat(12)}`.repeat(MAX_GLOB_WILDCARDS) + `z${i}`),
  "**/**/...": (i) => pad("**/".repeat(MAX_GLOB_WILDCARDS / 2) + `z${i}`),
  "{a,b}*": (i) => pad(`{${"a".repeat(15)},${"b".repeat(15)}}*`.repeat(MAX_GLOB_WILDCARDS / 3) + `z${i}`),
};
function pad(glob: string): string {
  return glob.length >= MAX_GLOB_LENGTH ? glob.slice(0, MAX_GLOB_LENGTH) : glob + "c".repeat(MAX_GLOB_LENGTH - glob.length);
}

/** Paths as long as 3,000 of them fit under the 8 MiB input cap, shaped to make every glob work. */
const longPath = (i: number): string => `${"ab/".repeat(600)}${"a".repeat(500)}${i}.ts`;

function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

export async function rows(): Promise<HostileRow[]> {
  const out: HostileRow[] = [];
  const engine = await PolicyEngine.load(builtinBundle(), { deadlineMs: 600_000 }); // measured, not cut
  const { input, config } = base();
  input.files = files(longPath);
  const size = `${(JSON.stringify(input).length / 1024 / 1024).toFixed(1)} MiB input`;

  // The worst shape within the schema's caps: every glob is matched against every path.
  let worst = { shape: "", seconds: 0, allow: false };
  for (const [shape, glob] of Object.entries(SHAPES)) {
    const data = dataFor({ ...config, rules: { ...(config.rules as object), protected_paths: { paths: Array.from({ length: MAX_GLOB_PATTERNS }, (_, i) => glob(i)) } } }) as { config: { rules: { protected_paths: { paths: unknown[] } } } };
    // The gate adds its config-like patterns (app/evaluate-pull-request.ts) to whatever the config lists.
    data.config.rules.protected_paths.paths.push(...CONFIG_LIKE);
    const r = timed(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, input, { data }));
    if (r.seconds > worst.seconds) worst = { shape, seconds: r.seconds, allow: r.value.allow };
  }
  out.push({
    class: CLASS,
    input: `${MAX_GLOB_PATTERNS} globs (+ the gate's ${CONFIG_LIKE.length}) x ${FILES} paths, worst of ${Object.keys(SHAPES).length} shapes (${worst.shape}), calling thread`,
    size,
    seconds: worst.seconds,
    peakRssMb: rss(),
    outcome: worst.allow ? "evaluated: allowed" : "evaluated: denied",
    bound: "< 2 s",
    met: worst.seconds < 2,
  });

  // Every changed path protected and the change unapproved: paths.rego once listed the patterns of each denied path
  // by scanning every hit (paths squared, 12-24 s); the hits are now grouped by path once.
  const unapproved = { ...base().input, reviews: [], files: files((i) => `infra/module${i}/main.tf`) };
  const defaults = dataFor(base().config) as { config: { rules: { protected_paths: { paths: unknown[] } } } };
  defaults.config.rules.protected_paths.paths.push(...CONFIG_LIKE);
  const quad = timed(() => engine.evaluate(PULL_REQUEST_ENTRYPOINT, unapproved, { data: defaults }));
  out.push({
    class: CLASS,
    input: `default config, ${FILES} unapproved paths under infra/**, calling thread`,
    size: `${(JSON.stringify(unapproved).length / 1024).toFixed(0)} KiB input`,
    seconds: quad.seconds,
    peakRssMb: rss(),
    outcome: `evaluated: ${quad.value.deny.length} denials`,
    bound: "< 2 s",
    met: quad.seconds < 2,
  });

  // The App's pool: an overrun is stopped at the deadline, and another installation's evaluation is answered meanwhile.
  // No input within the config's caps takes 2 s any more, so the mechanism is shown with a deadline the catch-all
  // evaluation cannot meet.
  const OVERRUN_DEADLINE_MS = 50;
  const catchAll = dataFor({ ...base().config, rules: { protected_paths: { mode: "deny", paths: Array.from({ length: MAX_GLOB_PATTERNS }, (_, i) => `*${"?".repeat(i % 4)}*/**`) } } });
  const pool = await PolicyPool.start(builtinBundle(), { threads: 2, deadlineMs: OVERRUN_DEADLINE_MS });
  try {
    const ordinary = base();
    const ordinaryData = dataFor(ordinary.config);
    await pool.evaluate(PULL_REQUEST_ENTRYPOINT, ordinary.input, { data: ordinaryData }); // warm
    const t0 = performance.now();
    const overrun = pool.evaluate(PULL_REQUEST_ENTRYPOINT, unapproved, { data: catchAll }).then(
      () => ({ outcome: "evaluated (no overrun)", at: performance.now() }),
      (e: unknown) => ({ outcome: e instanceof AgentGateError ? `${e.code} (${e.kind}), fail closed` : `error: ${String(e)}`, at: performance.now() }),
    );
    const other = await pool.evaluate(PULL_REQUEST_ENTRYPOINT, ordinary.input, { data: ordinaryData });
    const otherSeconds = (performance.now() - t0) / 1000;
    const o = await overrun;
    for (let i = 0; i < 100 && pool.size() < 2; i++) await new Promise((r) => setTimeout(r, 20)); // the replacement
    const seconds = (o.at - t0) / 1000;
    const deadline = OVERRUN_DEADLINE_MS / 1000;
    out.push({
      class: CLASS,
      input: `${MAX_GLOB_PATTERNS} catch-all globs (mode deny) x ${FILES} unapproved paths, App pool (2 threads)`,
      size: `deadline ${OVERRUN_DEADLINE_MS} ms (App default ${DEFAULT_POLICY_DEADLINE_MS})`,
      seconds,
      peakRssMb: rss(),
      outcome: o.outcome,
      bound: `answered at the deadline (${deadline}-${deadline + 0.5} s)`,
      met: o.outcome.startsWith("POLICY_TIMEOUT") && seconds >= deadline && seconds < deadline + 0.5,
    });
    out.push({
      class: CLASS,
      input: "another installation's PR, sent while the overrun runs, same pool",
      size: "20 files",
      seconds: otherSeconds,
      peakRssMb: rss(),
      outcome: `evaluated: ${other.allow ? "allowed" : "denied"}; pool back to ${pool.size()} threads after ${pool.timedOut()} timeout`,
      bound: "< 0.5 s (not held up)",
      met: otherSeconds < 0.5,
    });
  } finally {
    await pool.close();
  }
  return out;
}
