// The agent-gate command: dispatches to one module per command; returns the process exit code. Every command keeps
// the contract in args.ts (--help, strict flags, --json, exit codes 0/1/2); test/cli/contract.test.ts walks this
// table, so a command added here is held to it.
import { readFileSync } from "node:fs";
import { consoleIo, helpAmongOthers, printUsage, reportError, UsageError, wantsJson, type Io } from "./args.js";

export interface CliCommand {
  readonly run: (argv: string[], io?: Io) => Promise<number>;
  /** The subcommands of a group (`audit verify`), for help and the contract test. */
  readonly subcommands?: readonly string[];
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CliCommand>;
}

const group = async (m: Promise<{ default: { run: CliCommand["run"]; subcommands: Readonly<Record<string, unknown>> } }>): Promise<CliCommand> => {
  const g = (await m).default;
  return { run: g.run, subcommands: Object.keys(g.subcommands) };
};

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  demo: { summary: "run the App in-process on the recorded scenarios and print each check run", load: async () => ({ run: (await import("./demo.js")).demo }) },
  evaluate: { summary: "evaluate a pull request (live with a token, or a scenario file) and print its check run", load: async () => ({ run: (await import("./evaluate.js")).evaluateCommand }) },
  attest: { summary: "sign an agent's provenance for its commits (key or keyless) and write or publish the bundle", load: async () => ({ run: (await import("./attest.js")).attestCommand }) },
  "verify-bundle": { summary: "verify a Sigstore bundle (sigstore-conformance client protocol)", load: async () => ({ run: (await import("./verify-bundle.js")).verifyBundleCommand }) },
  "verify-commit": { summary: "verify a gitsign-signed commit offline (signature, Fulcio chain, SCT, embedded Rekor entry)", load: async () => ({ run: (await import("./verify-commit.js")).verifyCommitCommand }) },
  policy: { summary: "policy eval: evaluate a policy input with the built-in or a given policy bundle", load: () => group(import("./policy-eval.js")) },
  config: { summary: "config validate: check a .github/agent-gate.yml and the bases it extends; config impact: the recorded verdicts a new config would change", load: () => group(import("./config.js")) },
  audit: { summary: "verify, show, export and replay the decision audit log; checkpoint and head: record and print its head", load: () => group(import("./audit.js")) },
  setup: { summary: "register the GitHub App from app.yml (manifest flow) and write its credentials to .env", load: async () => ({ run: (await import("./setup.js")).setupCommand }) },
  help: { summary: "show this message, or a command's usage (help COMMAND)", load: () => Promise.resolve({ run: help }) },
};

/** The package's version (package.json sits two folders up from both src/cli and dist/cli). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

const USAGE = `usage: agent-gate <command> [options]
       agent-gate --version | --help

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`)
  .join("\n")}

Every command takes --help (on its own; among other arguments it is a usage error) and --json (one JSON document
on stdout: {"command", "usage"} for --help, {"error": {"code", "message"}} on failure).
Exit codes: 0 allowed / verified / valid, 1 denied / not verified / invalid, 2 wrong usage or an operational error.`;

async function help(argv: string[], io: Io = consoleIo()): Promise<number> {
  const json = wantsJson(argv);
  const rest = argv.filter((a) => a !== "--json");
  if (rest.includes("--help") || rest.includes("-h")) {
    if (rest.length === 1) return printUsage("", USAGE, json, io);
    return reportError(helpAmongOthers(), "help", USAGE, json, io);
  }
  if (rest.some((a) => a.startsWith("-"))) return reportError(new UsageError(`unknown option ${JSON.stringify(rest.find((a) => a.startsWith("-")))}`), "help", USAGE, json, io);
  if (rest.length > 1) return reportError(new UsageError(`expected at most one command, got ${rest.length}`), "help", USAGE, json, io);
  const [name] = rest;
  if (name !== undefined) {
    if (!Object.hasOwn(COMMANDS, name)) return reportError(new UsageError(`unknown command "${name}"; expected one of: ${Object.keys(COMMANDS).join(", ")}`), "help", USAGE, json, io);
    if (name !== "help") return (await COMMANDS[name]!.load()).run(json ? ["--help", "--json"] : ["--help"], io);
  }
  if (!json) return (io.out(USAGE), 0);
  const commands = await Promise.all(Object.entries(COMMANDS).map(async ([n, c]) => ({ name: n, summary: c.summary, subcommands: (await c.load()).subcommands ?? [] })));
  io.out(JSON.stringify({ version: version(), commands }, null, 2));
  return 0;
}

export async function main(argv: string[], io: Io = consoleIo()): Promise<number> {
  const [name, ...rest] = argv;
  const json = wantsJson(argv);
  if (name === "--version" || name === "-V") {
    if (rest.some((a) => a !== "--json")) return reportError(new UsageError(`unexpected argument ${JSON.stringify(rest.find((a) => a !== "--json"))}`), "--version", USAGE, json, io);
    io.out(json ? JSON.stringify({ version: version() }) : version());
    return 0;
  }
  if (name === "--help" || name === "-h") return help(["--help", ...rest], io);
  if (name === undefined || name.startsWith("-")) {
    return reportError(new UsageError(name === undefined || name === "--json" ? "expected a command" : `unknown option ${JSON.stringify(name)}`), "", USAGE, json, io);
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    return reportError(new UsageError(`unknown command "${name}"; expected one of: ${Object.keys(COMMANDS).join(", ")}`), "", USAGE, json, io);
  }
  const command = await COMMANDS[name]!.load();
  return command.run(rest, io);
}
