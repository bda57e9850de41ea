// The server's own settings (beside Probot's APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ... and agent-gate's policy and
// trust settings in env.ts): GitHub's address, the retry budget, workers and reconciliation. Validated at start;
// a bad value stops the server with a message naming the variable and what was expected.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_POLICY_DEADLINE_MS } from "../adapters/opa/engine.js";
import { AgentGateError } from "../core/errors.js";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

// How long one policy evaluation may run before it fails closed (POLICY_TIMEOUT): read by the App and the CLI.
const policyDeadline = () => int(10, 600_000).default(DEFAULT_POLICY_DEADLINE_MS);

/** AGENT_GATE_POLICY_DEADLINE_MS, validated (the commands that read no other server setting read this one). */
export function readPolicyDeadline(env: NodeJS.ProcessEnv = process.env): number {
  const r = policyDeadline().safeParse(env.AGENT_GATE_POLICY_DEADLINE_MS);
  if (!r.success) throw new AgentGateError("ENV_INVALID", `AGENT_GATE_POLICY_DEADLINE_MS: expected milliseconds from 10 to 600000, got ${JSON.stringify(env.AGENT_GATE_POLICY_DEADLINE_MS)}`);
  return r.data;
}

const ServerEnv = z.object({
  APP_ID: z.coerce.number().int().positive({ error: "expected the GitHub App's numeric id" }),
  PRIVATE_KEY: z.string().includes("PRIVATE KEY", { error: "expected the App's PEM private key" }).optional(),
  PRIVATE_KEY_PATH: z.string().min(1).optional(),
  WEBHOOK_SECRET: z.string().min(16, { error: "expected a webhook secret of at least 16 characters (deliveries are verified with it)" }),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  WEBHOOK_PATH: z.string().startsWith("/").default("/api/github/webhooks"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: "expected a redis:// or rediss:// URL" }).optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, { error: "expected a postgres:// URL" }).optional(),
  AGENT_GATE_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,50}$/, { error: "expected a schema name of lowercase letters, digits and _" }).default("agent_gate"),
  GHE_HOST: z.string().min(1).optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),
  AGENT_GATE_GITHUB_API_URL: z.url({ error: "expected GitHub's REST API base URL" }).optional(),
  AGENT_GATE_WORKERS: int(1, 64).default(4),
  AGENT_GATE_RECONCILE_SECONDS: int(0, 86_400).default(600),
  AGENT_GATE_RECONCILE_BUDGET: int(1, 100_000).default(500),
  AGENT_GATE_JOB_EXPIRE_SECONDS: int(1, 3600).default(120),
  AGENT_GATE_JOB_RETRY_LIMIT: int(0, 1000).default(20),
  AGENT_GATE_JOB_RETRY_DELAY_SECONDS: int(1, 3600).default(2),
  AGENT_GATE_QUEUE_MAINTENANCE_SECONDS: int(1, 3600).default(30),
  // At least 15: longer than a job may wait or retry in the engine (14 days) and reconciliation looks back (3).
  AGENT_GATE_STATE_RETENTION_DAYS: int(15, 36_500).default(30),
  AGENT_GATE_GITHUB_TIMEOUT_MS: int(100, 120_000).default(10_000),
  AGENT_GATE_GITHUB_RETRIES: int(0, 10).default(2),
  AGENT_GATE_GITHUB_MAX_RETRY_AFTER_SECONDS: int(0, 3600).default(10),
  AGENT_GATE_WRITE_INTERVAL_MS: int(0, 10_000).default(1000),
  // N: policies are evaluated on a pool of N worker threads (PolicyPool), where an evaluation past its deadline is
  // stopped; 0: on the event loop, where it cannot be (one costly pull request would stall every installation).
  AGENT_GATE_POLICY_THREADS: int(0, 64).default(2),
  AGENT_GATE_POLICY_DEADLINE_MS: policyDeadline(),
});
export type ServerSettings = z.infer<typeof ServerEnv> & { privateKey: string; baseUrl: string | undefined };

export function readServerEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const r = ServerEnv.safeParse(env);
  if (!r.success) throw new AgentGateError("ENV_INVALID", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const privateKey = r.data.PRIVATE_KEY ?? (r.data.PRIVATE_KEY_PATH ? readFileSync(r.data.PRIVATE_KEY_PATH, "utf8") : undefined);
  if (!privateKey) throw new AgentGateError("ENV_INVALID", "PRIVATE_KEY or PRIVATE_KEY_PATH: expected the App's PEM private key");
  const baseUrl = r.data.AGENT_GATE_GITHUB_API_URL ?? (r.data.GHE_HOST ? `${r.data.GHE_PROTOCOL}://${r.data.GHE_HOST}/api/v3` : undefined);
  return { ...r.data, privateKey: privateKey.replace(/\\n/g, "\n"), baseUrl };
}
