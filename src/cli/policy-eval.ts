// `agent-gate policy eval`: evaluates a policy input with the built-in (or a given) bundle and prints the decision.
// Exit codes: 0 allowed, 1 denied, 2 usage or evaluation error (fail closed: an error is never an allow).
// As in the App: a config is read only up to the App's size cap, and the evaluation runs on a worker thread that is
// stopped at its deadline (POLICY_TIMEOUT).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { parseArgs } from "node:util";
import { builtinBundle, bundleFromFile } from "../adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, DEPLOYMENT_ENTRYPOINT } from "../adapters/opa/engine.js";
import { PolicyPool } from "../adapters/opa/pool.js";
import { CONFIG_MAX_BYTES } from "../adapters/github/config-source.js";
import { parseRepoConfig, policyData } from "../config/repo-config.js";
import { readPolicyDeadline } from "../config/server-env.js";
import { AgentGateError, describeError } from "../core/errors.js";

const USAGE = `usage: agent-gate policy eval --input FILE [--data FILE | --config FILE] [--bundle FILE [--bundle-sha256 HEX]] [--entrypoint NAME] [--deadline-ms MS]

  --input FILE        the policy input (JSON; "-" reads stdin)
  --data FILE         the data document (JSON) instead of the bundle's own data.json
  --config FILE       a .github/agent-gate.yml whose merged configuration becomes the data (at most ${CONFIG_MAX_BYTES / 1024} KiB, as in the App)
  --bundle FILE       an opa build -t wasm bundle (tar.gz) instead of the built-in one
  --bundle-sha256 HEX pin for --bundle (checked when given)
  --entrypoint NAME   default: from the input's kind (${PULL_REQUEST_ENTRYPOINT} or ${DEPLOYMENT_ENTRYPOINT})
  --deadline-ms MS    stop the evaluation after MS milliseconds (default: AGENT_GATE_POLICY_DEADLINE_MS, else 2000)`;

/** A config file's text, refused past the App's cap without reading more than one byte beyond it. */
function readConfigFile(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > CONFIG_MAX_BYTES)
      throw new AgentGateError("CONFIG_TOO_LARGE", `${path} is ${Math.max(size, n)} bytes; expected at most ${CONFIG_MAX_BYTES} (64 KiB), the App's cap for .github/agent-gate.yml`);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function readJson(path: string): unknown {
  const text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path === "-" ? "stdin" : path}: not JSON: ${describeError(err)}`);
  }
}

export async function policyCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "eval") {
    console.error(sub === undefined || sub === "--help" ? USAGE : `agent-gate policy: unknown subcommand "${sub}"\n${USAGE}`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        input: { type: "string" },
        data: { type: "string" },
        config: { type: "string" },
        bundle: { type: "string" },
        "bundle-sha256": { type: "string" },
        entrypoint: { type: "string" },
        "deadline-ms": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`agent-gate policy eval: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) return (console.log(USAGE), 0);
  if (!values.input) return (console.error(`agent-gate policy eval: --input is required\n${USAGE}`), 2);
  if (values.data && values.config) return (console.error("agent-gate policy eval: give --data or --config, not both"), 2);
  let deadlineMs: number;
  try {
    deadlineMs = values["deadline-ms"] === undefined ? readPolicyDeadline() : Number(values["deadline-ms"]);
    if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new Error(`--deadline-ms: expected a whole number of milliseconds, got ${JSON.stringify(values["deadline-ms"])}`);
  } catch (err) {
    console.error(`agent-gate policy eval: ${describeError(err)}`);
    return 2;
  }
  let pool: PolicyPool | undefined;
  try {
    const input = readJson(values.input);
    let data: unknown;
    if (values.data) data = readJson(values.data);
    if (values.config) {
      const parsed = parseRepoConfig(readConfigFile(values.config), values.config);
      if (!parsed.ok) {
        for (const m of parsed.messages) console.error(m);
        return 2;
      }
      data = policyData(parsed.config);
    }
    const bundle = values.bundle ? bundleFromFile(values.bundle, values["bundle-sha256"], { allowUnpinned: true }) : builtinBundle();
    // One worker thread: the only way to stop a wasm evaluation at its deadline.
    pool = await PolicyPool.start(bundle, { threads: 1, deadlineMs });
    const kind = (input as { kind?: unknown } | null)?.kind;
    const entrypoint = values.entrypoint ?? (kind === "deployment" ? DEPLOYMENT_ENTRYPOINT : PULL_REQUEST_ENTRYPOINT);
    const decision = await pool.evaluate(entrypoint, input, data === undefined ? {} : { data });
    console.log(JSON.stringify(decision, null, 2));
    return decision.allow ? 0 : 1;
  } catch (err) {
    console.error(`agent-gate policy eval: ${describeError(err)}`);
    return 2;
  } finally {
    await pool?.close();
  }
}
