// `agent-gate policy eval`: evaluates a policy input with the built-in (or a given) bundle and prints the decision.
// Exit codes: 0 allowed, 1 denied, 2 usage or evaluation error (fail closed: an error is never an allow).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { builtinBundle, bundleFromFile } from "../adapters/opa/bundle-source.js";
import { PULL_REQUEST_ENTRYPOINT, DEPLOYMENT_ENTRYPOINT, PolicyEngine } from "../adapters/opa/engine.js";
import { parseRepoConfig, policyData } from "../config/repo-config.js";
import { describeError } from "../core/errors.js";

const USAGE = `usage: agent-gate policy eval --input FILE [--data FILE | --config FILE] [--bundle FILE [--bundle-sha256 HEX]] [--entrypoint NAME]

  --input FILE        the policy input (JSON; "-" reads stdin)
  --data FILE         the data document (JSON) instead of the bundle's own data.json
  --config FILE       a .github/agent-gate.yml whose merged configuration becomes the data
  --bundle FILE       an opa build -t wasm bundle (tar.gz) instead of the built-in one
  --bundle-sha256 HEX pin for --bundle (checked when given)
  --entrypoint NAME   default: from the input's kind (${PULL_REQUEST_ENTRYPOINT} or ${DEPLOYMENT_ENTRYPOINT})`;

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
  try {
    const input = readJson(values.input);
    let data: unknown;
    if (values.data) data = readJson(values.data);
    if (values.config) {
      const parsed = parseRepoConfig(readFileSync(values.config, "utf8"), values.config);
      if (!parsed.ok) {
        for (const m of parsed.messages) console.error(m);
        return 2;
      }
      data = policyData(parsed.config);
    }
    const bundle = values.bundle ? bundleFromFile(values.bundle, values["bundle-sha256"], { allowUnpinned: true }) : builtinBundle();
    const engine = await PolicyEngine.load(bundle);
    const kind = (input as { kind?: unknown } | null)?.kind;
    const entrypoint = values.entrypoint ?? (kind === "deployment" ? DEPLOYMENT_ENTRYPOINT : PULL_REQUEST_ENTRYPOINT);
    const decision = engine.evaluate(entrypoint, input, data === undefined ? {} : { data });
    console.log(JSON.stringify(decision, null, 2));
    return decision.allow ? 0 : 1;
  } catch (err) {
    console.error(`agent-gate policy eval: ${describeError(err)}`);
    return 2;
  }
}
