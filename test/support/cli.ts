// The command line run in-process with its output captured: `agent-gate ARGS` through main(), as the tests of the
// commands call it. Extra io (fetch, env) is passed through to the commands that take it.
import { main } from "../../src/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(args: readonly string[], io: Record<string, unknown> = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args], { ...io, out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
