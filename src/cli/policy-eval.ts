// `agent-gate policy eval`: evaluates a policy input with the built-in (or a given) bundle and prints the decision.
// Exit codes: 0 allowed, 1 denied, 2 usage or evaluation error (fail closed: an error is never an allow).
// As in the App: a config is read only up to the App's size cap, and the evaluation runs on a worker thread that is
// stopped at its deadline (POLICY_TIMEOUT). `--case FILE` takes a fixtures/policy case whole: its input, its config
// (the configuration as JSON) and its owner's revocation list.
import { createHash } from "node:crypto";
import { builtinBundle, bundleFromFile } from "../adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, DEPLOYMENT_ENTRYPOINT } from "../adapters/opa/engine.js";
import { PolicyPool } from "../adapters/opa/pool.js";
import { CONFIG_MAX_BYTES } from "../adapters/github/config-source.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, consoleIo, groupUsage, runCommand, runGroup, type Io } from "./args.js";
import { readConfigFile } from "./config-file.js";
import { parseRepoConfig, policyData, validateRepoConfig } from "../config/repo-config.js";
import { validateRevocations } from "../config/revocations.js";
import { readPolicyDeadline } from "../config/server-env.js";
import { AgentGateError, describeError } from "../core/errors.js";
import { readJsonFile, withFileErrors } from "./read-file.js";

const USAGE = `usage: agent-gate policy eval (--input FILE [--data FILE | --config FILE] | --case FILE) [--bundle FILE [--bundle-sha256 HEX]] [--entrypoint NAME] [--deadline-ms MS] [--json]

  --input FILE        the policy input (JSON; "-" reads stdin)
  --case FILE         a policy case as in fixtures/policy: {"input", "config", "revoked"?, "entrypoint"?} (JSON)
  --data FILE         the data document (JSON) instead of the bundle's own data.json
  --config FILE       a .github/agent-gate.yml whose merged configuration becomes the data (at most ${CONFIG_MAX_BYTES / 1024} KiB, as in the App)
  --bundle FILE       an opa build -t wasm bundle (tar.gz) instead of the built-in one
  --bundle-sha256 HEX pin for --bundle (checked when given)
  --entrypoint NAME   default: from the input's kind (${PULL_REQUEST_ENTRYPOINT} or ${DEPLOYMENT_ENTRYPOINT})
  --deadline-ms MS    stop the evaluation after MS milliseconds (default: AGENT_GATE_POLICY_DEADLINE_MS, else 2000)
  --json              the decision is JSON either way; errors become {"error": {"code", "message"}}

exit codes: 0 allowed, 1 denied, 2 usage or evaluation error`;

const CASE_ENTRYPOINTS: Readonly<Record<string, string>> = { pull_request: PULL_REQUEST_ENTRYPOINT, deployment: DEPLOYMENT_ENTRYPOINT };

/** A fixtures/policy case: the input, and the data the App would build from its config and revocation list. */
function readCase(path: string): { input: unknown; data: unknown; entrypoint?: string } {
  const c = readJsonFile("--case", path, "a policy case");
  const invalid = (why: string): AgentGateError =>
    new AgentGateError("POLICY_CASE_INVALID", `${path}: expected a policy case {"input", "config", "revoked"?, "entrypoint"?} as in fixtures/policy; ${why}`);
  if (c === null || typeof c !== "object" || Array.isArray(c)) throw invalid("found no JSON object");
  const { input, config, revoked, entrypoint } = c as Record<string, unknown>;
  if (input === undefined || config === undefined) throw invalid(`found no ${input === undefined ? "input" : "config"}`);
  if (entrypoint !== undefined && (typeof entrypoint !== "string" || !(entrypoint in CASE_ENTRYPOINTS))) throw invalid(`entrypoint: expected "pull_request" or "deployment", got ${JSON.stringify(entrypoint)}`);
  const r = validateRepoConfig(config);
  if (!r.ok) throw invalid(`config: ${r.messages.join("; ")}`);
  let data: object = policyData(r.config);
  if (revoked !== undefined) {
    const l = validateRevocations(revoked);
    if (!l.ok) throw invalid(`revoked: ${l.messages.join("; ")}`);
    const { version: _version, ...lists } = l.revocations;
    const digest = `sha256:${createHash("sha256").update(JSON.stringify(revoked)).digest("hex")}`;
    data = { ...data, revoked: { ...lists, source: `${path} (revoked)`, digest } };
  }
  return { input, data, ...(typeof entrypoint === "string" ? { entrypoint: CASE_ENTRYPOINTS[entrypoint] } : {}) };
}

const OPTIONS = {
  input: { type: "string" },
  case: { type: "string" },
  data: { type: "string" },
  config: { type: "string" },
  bundle: { type: "string" },
  "bundle-sha256": { type: "string" },
  entrypoint: { type: "string" },
  "deadline-ms": { type: "string" },
} as const;

const SPEC = { name: "policy eval", usage: USAGE, options: OPTIONS };

/** `agent-gate policy eval`: the decision JSON on stdout (the same with --json); exit 0 allowed, 1 denied. */
export function policyEval(args: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand(SPEC, args, io, async ({ values }) => {
    if (values.case !== undefined && (values.input !== undefined || values.data !== undefined || values.config !== undefined))
      throw new UsageError("--case holds the input and the config: give it without --input, --data or --config");
    if (!values.input && !values.case) throw new UsageError("give --input FILE or --case FILE");
    if (values.data && values.config) throw new UsageError("give --data or --config, not both");
    let deadlineMs: number;
    try {
      deadlineMs = values["deadline-ms"] === undefined ? readPolicyDeadline() : Number(values["deadline-ms"]);
    } catch (err) {
      throw new UsageError(describeError(err));
    }
    if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new UsageError(`--deadline-ms: expected a whole number of milliseconds, got ${JSON.stringify(values["deadline-ms"])}`);
    const fromCase = values.case === undefined ? undefined : readCase(values.case);
    const input = fromCase ? fromCase.input : readJsonFile("--input", values.input!, "the policy input");
    let data: unknown = fromCase?.data;
    if (values.data) data = readJsonFile("--data", values.data, "the data document");
    if (values.config) {
      const file = values.config;
      const parsed = parseRepoConfig(withFileErrors("--config", file, "a .github/agent-gate.yml", () => readConfigFile(file)), file);
      if (!parsed.ok) {
        for (const m of parsed.messages.slice(1)) io.err(m);
        throw new CliFailure("CONFIG_INVALID", parsed.messages[0] ?? `${values.config} is invalid`, EXIT_USAGE, { errors: parsed.messages });
      }
      data = policyData(parsed.config);
    }
    const bundle = values.bundle ? bundleFromFile(values.bundle, values["bundle-sha256"], { allowUnpinned: true }) : builtinBundle();
    // One worker thread: the only way to stop a wasm evaluation at its deadline.
    const pool = await PolicyPool.start(bundle, { threads: 1, deadlineMs });
    try {
      const kind = (input as { kind?: unknown } | null)?.kind;
      const entrypoint = values.entrypoint ?? fromCase?.entrypoint ?? (kind === "deployment" ? DEPLOYMENT_ENTRYPOINT : PULL_REQUEST_ENTRYPOINT);
      const decision = await pool.evaluate(entrypoint, input, data === undefined ? {} : { data });
      io.out(JSON.stringify(decision, null, 2));
      return decision.allow ? EXIT_OK : EXIT_FAILED;
    } finally {
      await pool.close();
    }
  });
}

const subcommands = { eval: { summary: "evaluate a policy input; print the decision (exit 0 allowed, 1 denied)", options: OPTIONS, run: policyEval } };
const GROUP_USAGE = groupUsage("policy", subcommands);

export default { subcommands, run: (args: string[], io?: Io): Promise<number> => runGroup({ name: "policy", usage: GROUP_USAGE, subcommands }, args, io) };
