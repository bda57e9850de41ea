// `agent-gate policy eval`: evaluates a policy input with the built-in (or a given) bundle and prints the decision.
// Exit codes: 0 allowed, 1 denied, 2 usage or evaluation error (fail closed: an error is never an allow).
// As in the App: a config is read only up to the App's size cap, and the evaluation runs on a worker thread that is
// stopped at its deadline (POLICY_TIMEOUT).
import { readFileSync } from "node:fs";
import { builtinBundle, bundleFromFile } from "../adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, DEPLOYMENT_ENTRYPOINT } from "../adapters/opa/engine.js";
import { PolicyPool } from "../adapters/opa/pool.js";
import { CONFIG_MAX_BYTES } from "../adapters/github/config-source.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, consoleIo, groupUsage, runCommand, runGroup, type Io } from "./args.js";
import { readConfigFile } from "./config-file.js";
import { parseRepoConfig, policyData } from "../config/repo-config.js";
import { readPolicyDeadline } from "../config/server-env.js";
import { describeError } from "../core/errors.js";
import { jsonErrorWithoutText } from "../core/json-error.js";

const USAGE = `usage: agent-gate policy eval --input FILE [--data FILE | --config FILE] [--bundle FILE [--bundle-sha256 HEX]] [--entrypoint NAME] [--deadline-ms MS] [--json]

  --input FILE        the policy input (JSON; "-" reads stdin)
  --data FILE         the data document (JSON) instead of the bundle's own data.json
  --config FILE       a .github/agent-gate.yml whose merged configuration becomes the data (at most ${CONFIG_MAX_BYTES / 1024} KiB, as in the App)
  --bundle FILE       an opa build -t wasm bundle (tar.gz) instead of the built-in one
  --bundle-sha256 HEX pin for --bundle (checked when given)
  --entrypoint NAME   default: from the input's kind (${PULL_REQUEST_ENTRYPOINT} or ${DEPLOYMENT_ENTRYPOINT})
  --deadline-ms MS    stop the evaluation after MS milliseconds (default: AGENT_GATE_POLICY_DEADLINE_MS, else 2000)
  --json              the decision is JSON either way; errors become {"error": {"code", "message"}}

exit codes: 0 allowed, 1 denied, 2 usage or evaluation error`;

function readJson(path: string): unknown {
  const text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path === "-" ? "stdin" : path}: ${jsonErrorWithoutText(text, err)}`);
  }
}

const OPTIONS = {
  input: { type: "string" },
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
    if (!values.input) throw new UsageError("--input is required");
    if (values.data && values.config) throw new UsageError("give --data or --config, not both");
    let deadlineMs: number;
    try {
      deadlineMs = values["deadline-ms"] === undefined ? readPolicyDeadline() : Number(values["deadline-ms"]);
    } catch (err) {
      throw new UsageError(describeError(err));
    }
    if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new UsageError(`--deadline-ms: expected a whole number of milliseconds, got ${JSON.stringify(values["deadline-ms"])}`);
    const input = readJson(values.input);
    let data: unknown;
    if (values.data) data = readJson(values.data);
    if (values.config) {
      const parsed = parseRepoConfig(readConfigFile(values.config), values.config);
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
      const entrypoint = values.entrypoint ?? (kind === "deployment" ? DEPLOYMENT_ENTRYPOINT : PULL_REQUEST_ENTRYPOINT);
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
