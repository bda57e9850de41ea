// The one contract every agent-gate command keeps: strict flags (an unknown one is a usage error), --help alone (or
// with --json) on stdout with exit 0 and among other arguments a usage error, --json printing exactly one JSON
// document on stdout whatever happens (the usage too: {"command", "usage"}), and the same exit codes
// everywhere: 0 allowed / verified / ok, 1 denied / not verified / invalid, 2 usage or operational error.
// Human messages go to stderr without stack traces; an error's code and message are what a script reads.
import { writeSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { AgentGateError, describeError } from "../core/errors.js";
import type { CliFailureCode } from "./codes.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Where a command writes: stdout (results, the JSON document) and stderr (messages). */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const consoleIo = (): Io => ({ out: (t) => console.log(t), err: (t) => console.error(t) });

/**
 * Like consoleIo, but stdout lines go straight to file descriptor 1: a short command (verify-bundle) then never sets
 * up process.stdout's stream, a few milliseconds of a cold process. A descriptor that would block (a non-blocking
 * pipe: EAGAIN) or fails gets the rest through the stream, in order.
 */
export const directIo = (): Io => ({
  out: (t) => {
    const buf = Buffer.from(`${t}\n`);
    let at = 0;
    try {
      while (at < buf.length) at += writeSync(1, buf, at);
    } catch {
      process.stdout.write(buf.subarray(at));
    }
  },
  err: (t) => console.error(t),
});

/** Wrong arguments: exit 2 with the command's usage. */
export class UsageError extends Error {}

/** An outcome that is not a success, with the code a script reads and the exit code (1 failed, 2 operational). */
export class CliFailure extends Error {
  constructor(
    /** One of ERROR_CODES, CLI_CODES (src/cli/codes.ts) or a verifier's outcome codes: each is in docs/errors.md. */
    readonly code: CliFailureCode,
    message: string,
    readonly exit: 1 | 2 = EXIT_USAGE,
    /** More fields of the --json document, beside `error`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export interface CommandSpec<O extends Options> {
  /** As typed after `agent-gate`: "verify-bundle", "audit verify". */
  readonly name: string;
  readonly usage: string;
  readonly options: O;
  /** Positional arguments allowed (default none), and what they are called in errors. */
  readonly positionals?: { readonly min: number; readonly max: number; readonly what: string };
  /** The exit code of an AgentGateError thrown by the command (default 2: an operational error). */
  readonly errorExit?: 1 | 2;
}

type WithCommon<O extends Options> = O & { help: { type: "boolean"; short: "h" }; json: { type: "boolean" } };
export type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: WithCommon<O>; allowPositionals: true; strict: true }>>["values"];

export interface Context<O extends Options> {
  readonly values: Values<O>;
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly io: Io;
  /** The --json document (call once); without --json it prints nothing. */
  readonly emit: (doc: unknown) => void;
  /** Says the command has started writing its --json document itself (streamed): an error after it goes to stderr only. */
  readonly claim: () => void;
}

const COMMON = { help: { type: "boolean", short: "h" }, json: { type: "boolean" } } as const;

/** Whether --json was asked for, looked at before parsing so that even a parse error is answered in JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * Whether the arguments ask for the usage: --help (or -h) given alone, or with --json only. Anywhere else it is a
 * usage error (helpAmongOthers): an operand that reads as -h must never turn a failed run into exit 0.
 */
export function wantsHelpAlone(argv: readonly string[]): boolean {
  const rest = argv.filter((a) => a !== "--json");
  return rest.length === 1 && (rest[0] === "--help" || rest[0] === "-h");
}

export const helpAmongOthers = (): UsageError =>
  new UsageError("--help (-h) is answered only on its own (with --json at most); an operand named -h or --help goes after --");

/** Prints the usage: the text, or with --json one document {"command", "usage"}. */
export function printUsage(name: string, usage: string, json: boolean, io: Io): number {
  io.out(json ? JSON.stringify({ command: name === "" ? "agent-gate" : `agent-gate ${name}`, usage }, null, 2) : usage);
  return EXIT_OK;
}

/** The --json document for an error (and nothing else on stdout). */
export function errorDocument(code: string, message: string, extra: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ ...extra, error: { code, message } }, null, 2);
}

/** Prints an error as the contract wants it: one line (and the usage) on stderr, the JSON document with --json. */
export function reportError(err: unknown, name: string, usage: string, json: boolean, io: Io, errorExit: 1 | 2 = EXIT_USAGE): number {
  let code: string;
  let exit: number;
  let extra: Readonly<Record<string, unknown>> = {};
  const message = describeError(err);
  const who = name ? `agent-gate ${name}` : "agent-gate";
  if (err instanceof UsageError) {
    io.err(`${who}: ${message}\n${usage}`);
    if (json) io.out(errorDocument("USAGE", message));
    return EXIT_USAGE;
  }
  if (err instanceof CliFailure) [code, exit, extra] = [err.code, err.exit, err.extra];
  else if (err instanceof AgentGateError) [code, exit] = [err.code, errorExit];
  else [code, exit] = ["INTERNAL_ERROR", EXIT_USAGE];
  io.err(`${who}: ${code}: ${message}`);
  if (json) io.out(errorDocument(code, message, extra));
  return exit;
}

/** Parses strictly, answers --help, runs the command and maps whatever it throws to the contract's exit codes. */
export async function runCommand<O extends Options>(spec: CommandSpec<O>, argv: readonly string[], io: Io, body: (ctx: Context<O>) => Promise<number> | number): Promise<number> {
  const json = wantsJson(argv);
  let emitted = false;
  const emit = (doc: unknown): void => {
    if (!json) return;
    if (emitted) throw new Error(`agent-gate ${spec.name}: a second JSON document`); // a bug: the contract is one document
    emitted = true;
    io.out(JSON.stringify(doc, null, 2));
  };
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: { ...spec.options, ...COMMON }, allowPositionals: true, strict: true });
    } catch (err) {
      // node's advice about "--" is noise here: the usage follows
      throw new UsageError(describeError(err).replace(/\. To specify a positional argument[\s\S]*$/, ""));
    }
    const { values, positionals } = parsed;
    if ((values as Record<string, unknown>)["help"] === true) {
      if (!wantsHelpAlone(argv)) throw helpAmongOthers();
      return printUsage(spec.name, spec.usage, json, io);
    }
    const allowed = spec.positionals ?? { min: 0, max: 0, what: "argument" };
    if (positionals.length > allowed.max) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[allowed.max])}`);
    if (positionals.length < allowed.min) throw new UsageError(`expected ${allowed.what}`);
    const claim = (): void => void (emitted = json);
    return await body({ values: values, positionals, json, io, emit, claim });
  } catch (err) {
    // Nothing half-printed: when the command failed after emitting, its document stands and the message goes to stderr.
    if (emitted) {
      io.err(`agent-gate ${spec.name}: ${describeError(err)}`);
      return EXIT_USAGE;
    }
    return reportError(err, spec.name, spec.usage, json, io, spec.errorExit);
  }
}

/** A command made of subcommands (`audit verify`): each has its own flags and usage. */
export interface Subcommand {
  readonly summary: string;
  /** Its flags, so that the group can find the subcommand's name wherever it stands among them. */
  readonly options: Options;
  readonly run: (argv: string[], io?: Io) => Promise<number>;
}

export interface Group {
  readonly name: string;
  readonly usage: string;
  readonly subcommands: Readonly<Record<string, Subcommand>>;
}

/** Dispatches `agent-gate GROUP SUB ...`: the subcommand may follow flags (`audit --data-dir D verify`). */
export async function runGroup(group: Group, argv: readonly string[], io: Io = consoleIo()): Promise<number> {
  const json = wantsJson(argv);
  const names = Object.keys(group.subcommands);
  const usage = (message: string): number => reportError(new UsageError(message), group.name, group.usage, json, io);
  // Every subcommand's flags, to tell a flag's value from the subcommand's name; strictness is the subcommand's.
  const options: Options = { ...COMMON };
  for (const s of Object.values(group.subcommands)) Object.assign(options, s.options);
  let tokens;
  try {
    tokens = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true }).tokens;
  } catch (err) {
    return usage(describeError(err));
  }
  const first = tokens.find((t) => t.kind === "positional" || t.kind === "option-terminator");
  if (first?.kind !== "positional") {
    if (tokens.some((t) => t.kind === "option" && t.name === "help" && first === undefined)) {
      return wantsHelpAlone(argv) ? printUsage(group.name, group.usage, json, io) : usage(describeError(helpAmongOthers()));
    }
    return usage(`expected a command: ${names.join(", ")}`);
  }
  if (first.value === "help") {
    if (argv.some((a, i) => i !== first.index && a !== "--json")) return usage(`"help" takes no other arguments: agent-gate ${group.name} help [--json]`);
    return printUsage(group.name, group.usage, json, io);
  }
  const sub = Object.hasOwn(group.subcommands, first.value) ? group.subcommands[first.value] : undefined;
  if (!sub) return usage(`unknown command "${first.value}"; expected one of: ${names.join(", ")}`);
  return sub.run([...argv.slice(0, first.index), ...argv.slice(first.index + 1)], io);
}

/** The usage line of each subcommand, for the group's usage. */
export function groupUsage(name: string, subcommands: Readonly<Record<string, { readonly summary: string }>>, more = ""): string {
  const width = Math.max(...Object.keys(subcommands).map((k) => k.length)) + 2;
  const lines = Object.entries(subcommands).map(([k, s]) => `  ${k.padEnd(width)}${s.summary}`);
  return `usage: agent-gate ${name} <command> [options]    (agent-gate ${name} <command> --help for its options)\n\ncommands:\n${lines.join("\n")}${more ? `\n\n${more}` : ""}`;
}
