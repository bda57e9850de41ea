// `agent-gate attest --commit-trailers`: the agent trailers (core/signed-commits.ts AGENT_TRAILERS) for the commit
// an agent is about to make, so that a signed commit (gitsign) carries them under its signature. Nothing is signed
// here and nothing leaves the machine; the prompt is read only to take its sha256 (the digest attest records), never
// printed. What is printed is read back with the gate's own reader (agentTrailers) and must give the same facts, so
// a value the gate would refuse (a newline, a model that is not provider/model, past 200 characters) is refused here.
import { agentTrailers, AGENT_TRAILERS } from "../core/signed-commits.js";
import { sha256Hex } from "../core/digest.js";
import { UsageError } from "./args.js";

export interface TrailerInput {
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly model?: string;
  readonly modelVersion?: string;
  /** The prompt's text (read from --prompt-file); only its digest is used. */
  readonly promptText?: string;
}

export interface CommitTrailers {
  /** `Key: value` lines, in AGENT_TRAILERS order, for `git commit --trailer` or a last message paragraph. */
  readonly lines: readonly string[];
  readonly trailers: readonly { readonly key: string; readonly value: string }[];
}

// printable, no line breaks: anything else would end the trailer or smuggle in another one
const UNSAFE = new Set([0x7f, 0x85, 0x2028, 0x2029]);
const safeValue = (v: string): boolean => v.length >= 1 && v.length <= 200 && [...v].every((ch) => ch.charCodeAt(0) >= 0x20 && !UNSAFE.has(ch.charCodeAt(0)));

export function commitTrailers(input: TrailerInput): CommitTrailers {
  if (input.agent === undefined) throw new UsageError("expected --agent NAME with --commit-trailers");
  if (input.model === undefined) throw new UsageError("expected --model PROVIDER/MODEL with --commit-trailers");
  if (input.promptText === undefined) throw new UsageError("expected --prompt-file FILE with --commit-trailers (its sha256 becomes the Agent-Prompt-SHA256 trailer)");
  const digest = `sha256:${sha256Hex(input.promptText)}`;
  const entries: [string, string | undefined, string][] = [
    [AGENT_TRAILERS.agent, input.agent, "--agent"],
    [AGENT_TRAILERS.agentVersion, input.agentVersion, "--agent-version"],
    [AGENT_TRAILERS.model, input.model, "--model"],
    [AGENT_TRAILERS.modelVersion, input.modelVersion, "--model-version"],
    [AGENT_TRAILERS.promptDigest, digest, "--prompt-file"],
  ];
  const trailers: { key: string; value: string }[] = [];
  for (const [key, value, flag] of entries) {
    if (value === undefined) continue;
    if (!safeValue(value) || value.trim() !== value) throw new UsageError(`expected ${flag} as 1 to 200 printable characters on one line, without leading or trailing blanks`);
    trailers.push({ key, value });
  }
  const lines = trailers.map((t) => `${t.key}: ${t.value}`);
  // the gate's reader must read back exactly these facts
  const read = agentTrailers(`commit\n\n${lines.join("\n")}\n`);
  if (!read.ok) throw new UsageError(`the trailers would be refused by the gate: ${read.message}`);
  const f = read.facts;
  const same = f.agent?.name === input.agent && f.agent.version === input.agentVersion && f.model?.id === input.model && f.model.version === input.modelVersion && f.promptDigest === digest;
  if (!same) throw new UsageError("the trailers do not read back as given; expected plain values (see docs/verify-commit.md, Agent trailers)");
  return { lines, trailers };
}
