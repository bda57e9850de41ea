// The App's process environment, validated once at start. Probot reads its own variables (APP_ID, PRIVATE_KEY or
// PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, LOG_LEVEL, REDIS_URL, GHE_HOST); these are agent-gate's.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { AgentGateError } from "../core/errors.js";

const Env = z.object({
  AGENT_GATE_TRUSTED_ROOT: z.string().min(1).optional().describe("trusted_root.json of a private Sigstore deployment; default: the pinned public-good root"),
  AGENT_GATE_TRUSTED_ROOTS: z.string().min(1).optional().describe("more trusted roots beside that one, comma-separated NAME=PATH entries or pinned names (github: GitHub's own Sigstore instance)"),
  AGENT_GATE_TUF_CACHE: z.string().min(1).optional().describe("directory for an online TUF refresh of the public-good root (keeps the last good copy)"),
  AGENT_GATE_POLICY_BUNDLE: z.string().min(1).optional().describe("an organisation's `opa build -t wasm` bundle: a file path or an https:// URL"),
  AGENT_GATE_POLICY_SHA256: z.string().regex(/^(sha256:)?[0-9a-f]{64}$/, { error: "expected the bundle's sha256 (64 hex)" }).optional(),
  AGENT_GATE_DATA_DIR: z.string().min(1).optional().describe("the embedded database's directory (audit log) when DATABASE_URL is not set; default .agent-gate/data"),
  AGENT_GATE_TRUSTED_KEYS: z.string().min(1).optional().describe('JSON file {"hint": "PEM public key"} for key-signed provenance'),
});
export type AppEnv = z.infer<typeof Env>;
export const APP_ENV_NAMES: readonly string[] = Object.keys(Env.shape);

export function readEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const r = Env.safeParse(env);
  if (!r.success) {
    throw new AgentGateError("ENV_INVALID", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  if (r.data.AGENT_GATE_POLICY_BUNDLE && !r.data.AGENT_GATE_POLICY_SHA256) {
    throw new AgentGateError("ENV_INVALID", "AGENT_GATE_POLICY_BUNDLE is set without AGENT_GATE_POLICY_SHA256: a replacement policy must be pinned by its digest");
  }
  // A pin without a bundle is a bundle variable missing or misspelt: the built-in policy would run in its place.
  if (r.data.AGENT_GATE_POLICY_SHA256 && !r.data.AGENT_GATE_POLICY_BUNDLE) {
    throw new AgentGateError("ENV_INVALID", "AGENT_GATE_POLICY_SHA256 is set without AGENT_GATE_POLICY_BUNDLE: expected the bundle it pins (a file path or an https:// URL) in AGENT_GATE_POLICY_BUNDLE, or neither for the built-in policy");
  }
  return r.data;
}

/** AGENT_GATE_TRUSTED_KEYS's file: {"hint": "PEM public key"}; each problem names the variable and the file. */
export function readKeyRing(path: string | undefined): Map<string, string> {
  if (!path) return new Map();
  const fail = (why: string): AgentGateError => new AgentGateError("ENV_INVALID", `AGENT_GATE_TRUSTED_KEYS: ${path}: ${why}; expected a JSON file {"hint": "PEM public key"}`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw fail(`cannot be read (${e instanceof Error && "code" in e ? String(e.code) : "unreadable"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fail("is not JSON");
  }
  const parsed = z.record(z.string(), z.string().includes("BEGIN PUBLIC KEY", { error: "expected a PEM public key" })).safeParse(json);
  if (!parsed.success) throw fail(`${parsed.error.issues[0]?.path.join(".") || "(the whole file)"}: ${parsed.error.issues[0]?.message}`);
  return new Map(Object.entries(parsed.data));
}
