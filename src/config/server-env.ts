// The server's own settings (beside Probot's APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, ... and agent-gate's policy and
// trust settings in env.ts): GitHub's address, the retry budget, workers and reconciliation. Validated at start;
// every missing or bad value is reported at once, each naming the variable and what to set it to.
import { createPrivateKey } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { parseEnv } from "node:util";
import { z } from "zod";
import { DEFAULT_POLICY_DEADLINE_MS } from "../adapters/opa/engine.js";
import { AgentGateError } from "../core/errors.js";
import { isLoopbackHost, secureUrlProblem } from "../core/secure-url.js";
import { APP_ENV_NAMES, readEnv, type AppEnv } from "./env.js";
import { databaseTlsProblem, unknownNames } from "./setting-checks.js";

/**
 * Evaluation workers per process. A job mostly waits on GitHub (four requests, writes paced per installation), so a
 * process serves about workers / seconds-per-job events a second: 4 workers were the limit even against the load run's
 * zero-latency stand-in (80 events/s against 86 with 8, the machine's 2 cores then the bound).
 */
export const DEFAULT_WORKERS = 8;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
// An explicit yes or no: 1 or true, 0 or false (anything else is refused, never read as no).
const flag = () =>
  z
    .enum(["1", "true", "0", "false"], { error: "expected 1 (or true) to allow it, 0 (or false) not to" })
    .transform((v) => v === "1" || v === "true")
    .default(false);

// A GitHub account's login: letters, digits and single hyphens, neither first nor last, at most 39 characters.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** Comma-separated GitHub logins (spaces around them allowed), as a list; empty or unset: none. */
export const ownerList = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const owners = (v ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
      for (const o of owners) if (!LOGIN.test(o)) ctx.addIssue({ code: "custom", message: `expected comma-separated GitHub logins (organisations or users), got ${JSON.stringify(o)}` });
      return owners;
    });

// How long one policy evaluation may run before it fails closed (POLICY_TIMEOUT): read by the App and the CLI.
const policyDeadline = () => int(10, 600_000).default(DEFAULT_POLICY_DEADLINE_MS);

/** AGENT_GATE_POLICY_DEADLINE_MS, validated (the commands that read no other server setting read this one). */
export function readPolicyDeadline(env: NodeJS.ProcessEnv = process.env): number {
  const r = policyDeadline().safeParse(env.AGENT_GATE_POLICY_DEADLINE_MS);
  if (!r.success) throw new AgentGateError("ENV_INVALID", `AGENT_GATE_POLICY_DEADLINE_MS: expected milliseconds from 10 to 600000, got ${JSON.stringify(env.AGENT_GATE_POLICY_DEADLINE_MS)}`);
  return r.data;
}

export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";
/** Where `agent-gate setup` writes the App's credentials and `npm start` reads them (AGENT_GATE_ENV_FILE overrides). */
export const DEFAULT_ENV_FILE = ".env";

// What each required setting is, for the message when it is missing.
const REQUIRED: readonly { readonly names: readonly string[]; readonly what: string }[] = [
  { names: ["APP_ID"], what: "the GitHub App's numeric id" },
  { names: ["PRIVATE_KEY", "PRIVATE_KEY_PATH"], what: "the App's PEM private key (PRIVATE_KEY), or the path of its .pem file (PRIVATE_KEY_PATH)" },
  { names: ["WEBHOOK_SECRET"], what: "the App's webhook secret (at least 16 characters)" },
];
const SETUP_HINT = `\`agent-gate setup --webhook-url URL\` registers the App and writes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET to ${DEFAULT_ENV_FILE}, which \`npm start\` reads`;

const ServerEnv = z.object({
  APP_ID: z.coerce.number().int().positive({ error: "expected the GitHub App's numeric id" }),
  PRIVATE_KEY: z.string().includes("PRIVATE KEY", { error: "expected the App's PEM private key" }).optional(),
  PRIVATE_KEY_PATH: z.string().min(1).optional(),
  WEBHOOK_SECRET: z.string().min(16, { error: "expected a webhook secret of at least 16 characters (deliveries are verified with it)" }),
  PORT: int(0, 65535).default(3000),
  // Loopback unless told otherwise: a first `npm start` is not reachable from the network (the image sets 0.0.0.0).
  HOST: z.string().min(1).default("127.0.0.1"),
  WEBHOOK_PATH: z.string().startsWith("/", { error: "expected a path starting with /" }).optional(),
  // Where GitHub sends deliveries (written by `agent-gate setup`); its path is the webhook path unless WEBHOOK_PATH says otherwise.
  AGENT_GATE_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: "expected the App's webhook URL (https://...)" }).optional(),
  // GET /metrics needs `Authorization: Bearer <token>` when set; required when HOST is not loopback, unless
  // AGENT_GATE_ALLOW_OPEN_METRICS=1 says /metrics may be served to the network without one.
  AGENT_GATE_METRICS_TOKEN: z.string().regex(/^\S{16,4096}$/, { error: "expected a token of 16 to 4096 characters without spaces" }).optional(),
  AGENT_GATE_ALLOW_OPEN_METRICS: flag(),
  // GitHub's API over plain http (AGENT_GATE_GITHUB_API_URL, GHE_PROTOCOL=http) to another machine is refused unless this is 1.
  AGENT_GATE_ALLOW_PLAINTEXT_GITHUB: flag(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: "expected a redis:// or rediss:// URL" }).optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, { error: "expected a postgres:// URL" }).optional(),
  // A DATABASE_URL to another machine without sslmode=verify-full (or verify-ca) is refused unless this is 1.
  AGENT_GATE_ALLOW_PLAINTEXT_DATABASE: flag(),
  AGENT_GATE_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,50}$/, { error: "expected a schema name of lowercase letters, digits and _" }).default("agent_gate"),
  GHE_HOST: z.string().min(1).optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).default("https"),
  AGENT_GATE_GITHUB_API_URL: z.url({ error: "expected GitHub's REST API base URL" }).optional(),
  // Owners with no `.github` repository: one that reads as missing is missing, though the App's installation on
  // selected repositories could not see it (src/adapters/github/org-repo-scope.ts, docs/revocation.md).
  AGENT_GATE_OWNERS_WITHOUT_ORG_REPO: ownerList(),
  AGENT_GATE_WORKERS: int(1, 64).default(DEFAULT_WORKERS),
  AGENT_GATE_RECONCILE_SECONDS: int(0, 86_400).default(600),
  AGENT_GATE_RECONCILE_BUDGET: int(1, 100_000).default(500),
  AGENT_GATE_JOB_EXPIRE_SECONDS: int(1, 3600).default(120),
  AGENT_GATE_JOB_RETRY_LIMIT: int(0, 1000).default(20),
  AGENT_GATE_JOB_RETRY_DELAY_SECONDS: int(1, 3600).default(2),
  // The retry delay doubles up to this: a job failing through a long GitHub outage is still retried this often.
  AGENT_GATE_JOB_RETRY_DELAY_MAX_SECONDS: int(1, 86_400).default(300),
  AGENT_GATE_QUEUE_MAINTENANCE_SECONDS: int(1, 3600).default(30),
  // At least 15: longer than a job may wait or retry in the engine (14 days) and reconciliation looks back (3).
  AGENT_GATE_STATE_RETENTION_DAYS: int(15, 36_500).default(30),
  AGENT_GATE_GITHUB_TIMEOUT_MS: int(100, 120_000).default(10_000),
  AGENT_GATE_GITHUB_RETRIES: int(0, 10).default(2),
  AGENT_GATE_GITHUB_MAX_RETRY_AFTER_SECONDS: int(0, 3600).default(10),
  AGENT_GATE_WRITE_INTERVAL_MS: int(0, 10_000).default(1000),
  // N: policies are evaluated on a pool of N worker threads (PolicyPool), where an evaluation past its deadline is
  // stopped; 0: on the event loop, where it cannot be (one costly pull request would stall every installation).
  // Default 1: a decision is ~0.3 ms, so one thread serves far more than a process's evaluations, and each thread
  // costs ~20 MB (docs/capacity.md, "Session 18": no throughput lost against 2, and the memory goal kept on Node 22).
  AGENT_GATE_POLICY_THREADS: int(0, 64).default(1),
  AGENT_GATE_POLICY_DEADLINE_MS: policyDeadline(),
  // With AGENT_GATE_TUF_CACHE: how often the trusted root is refreshed through TUF, and how old the last good one may
  // grow (refreshes failing all along) before /readyz answers 503.
  AGENT_GATE_TUF_REFRESH_HOURS: z.coerce.number().min(0.01).max(720).default(6),
  AGENT_GATE_TRUST_ROOT_MAX_AGE_HOURS: z.coerce.number().min(0.01).max(8760).default(72),
  // A TUF repository other than the public-good instance's (a private Sigstore deployment, or a test's): its URL and
  // the root.json it is first trusted with.
  AGENT_GATE_TUF_MIRROR: z.url({ protocol: /^https?$/, error: "expected the TUF repository's http(s) URL" }).optional(),
  AGENT_GATE_TUF_ROOT: z.string().min(1).optional(),
});
/** Every AGENT_GATE_* name the App reads; any other set is refused at start (setting-checks.ts). */
export const SETTING_NAMES: readonly string[] = [...Object.keys(ServerEnv.shape), ...APP_ENV_NAMES].filter((n) => n.startsWith("AGENT_GATE_"));

export type ServerSettings = Omit<z.infer<typeof ServerEnv>, "WEBHOOK_PATH"> & {
  WEBHOOK_PATH: string;
  privateKey: string;
  baseUrl: string | undefined;
  /** What the settings allow that deserves a line in the log at start (an opt-out used, reconciliation off). */
  warnings: string[];
};

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/** One line per missing or invalid setting: "NAME: problem". Missing ones say what to set. */
function serverProblems(env: NodeJS.ProcessEnv): { problems: string[]; missing: number; settings?: ServerSettings } {
  const problems: string[] = [];
  const missingKeys = new Set<string>();
  for (const { names, what } of REQUIRED) {
    if (names.some((n) => isSet(env[n]))) continue;
    names.forEach((n) => missingKeys.add(n));
    problems.push(`${names.join(" or ")}: not set; set it to ${what}`);
  }
  const missing = problems.length;
  const r = ServerEnv.safeParse(env);
  if (!r.success) {
    for (const i of r.error.issues) {
      const name = i.path.join(".");
      if (!missingKeys.has(name)) problems.push(`${name}: ${i.message}`);
    }
  }
  problems.push(...unknownNames(env, SETTING_NAMES));
  let privateKey: string | undefined;
  if (r.success) {
    try {
      privateKey = r.data.PRIVATE_KEY ?? (r.data.PRIVATE_KEY_PATH ? readFileSync(r.data.PRIVATE_KEY_PATH, "utf8") : undefined);
    } catch (e) {
      problems.push(`PRIVATE_KEY_PATH: cannot read ${r.data.PRIVATE_KEY_PATH} (${e instanceof Error && "code" in e ? String(e.code) : "unreadable"}); expected the App's .pem file`);
    }
    privateKey = privateKey?.replace(/\\n/g, "\n");
    const keyProblem = privateKey === undefined ? undefined : privateKeyProblem(privateKey);
    if (keyProblem) problems.push(`${r.data.PRIVATE_KEY !== undefined ? "PRIVATE_KEY" : `PRIVATE_KEY_PATH: ${r.data.PRIVATE_KEY_PATH}`}: ${keyProblem}`);
  }
  const webhookPath = r.success ? webhookPathOf(r.data.WEBHOOK_PATH, r.data.AGENT_GATE_WEBHOOK_URL, problems) : undefined;
  const baseUrl = r.success ? (r.data.AGENT_GATE_GITHUB_API_URL ?? (r.data.GHE_HOST ? `${r.data.GHE_PROTOCOL}://${r.data.GHE_HOST}/api/v3` : undefined)) : undefined;
  const warnings = r.success ? exposure(r.data, baseUrl, problems) : [];
  if (!r.success || problems.length > 0 || privateKey === undefined || webhookPath === undefined) return { problems, missing };
  return { problems, missing, settings: { ...r.data, WEBHOOK_PATH: webhookPath, privateKey, baseUrl, warnings } };
}

/**
 * Why the App's key cannot sign its GitHub tokens, or undefined: it must parse as a private key, and be RSA (GitHub
 * signs App JWTs RS256). Never quotes the key.
 */
function privateKeyProblem(pem: string): string | undefined {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") return `is a ${key.asymmetricKeyType ?? "non-RSA"} key; expected the App's RSA private key, as GitHub gave it`;
    return undefined;
  } catch (e) {
    const reason = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    return `cannot be read as a private key (${reason}); expected the App's PEM private key, as GitHub gave it (-----BEGIN RSA PRIVATE KEY-----)`;
  }
}

/**
 * What the App would expose or send in the clear: /metrics on a non-loopback HOST without a token, PostgreSQL or
 * GitHub's API without verified TLS to another machine. Each is a problem unless its opt-out is set; a used opt-out is
 * a warning for the log. Scheduled reconciliation turned off is a warning too.
 */
function exposure(s: z.infer<typeof ServerEnv>, baseUrl: string | undefined, problems: string[]): string[] {
  const warnings: string[] = [];
  if (!isLoopbackHost(s.HOST) && s.AGENT_GATE_METRICS_TOKEN === undefined) {
    if (s.AGENT_GATE_ALLOW_OPEN_METRICS) warnings.push(`AGENT_GATE_ALLOW_OPEN_METRICS=1: GET /metrics answers anyone who reaches ${s.HOST} without a token (installation ids and activity)`);
    else problems.push(`AGENT_GATE_METRICS_TOKEN: not set while HOST=${s.HOST} serves other machines, so /metrics (installation ids, repositories' activity) would answer anyone; expected a token of 16 to 4096 characters (Prometheus sends it as a bearer token), or AGENT_GATE_ALLOW_OPEN_METRICS=1 to serve it without one`);
  }
  const db = s.DATABASE_URL === undefined ? undefined : databaseTlsProblem(s.DATABASE_URL);
  if (db !== undefined) {
    if (s.AGENT_GATE_ALLOW_PLAINTEXT_DATABASE) warnings.push(`AGENT_GATE_ALLOW_PLAINTEXT_DATABASE=1: DATABASE_URL ${db.slice(0, db.indexOf(";"))}`);
    else problems.push(`DATABASE_URL: ${db}`);
  }
  const api = baseUrl === undefined ? undefined : secureUrlProblem(baseUrl, "GitHub API");
  if (api !== undefined) {
    const name = s.AGENT_GATE_GITHUB_API_URL !== undefined ? "AGENT_GATE_GITHUB_API_URL" : "GHE_PROTOCOL";
    if (s.AGENT_GATE_ALLOW_PLAINTEXT_GITHUB) warnings.push(`AGENT_GATE_ALLOW_PLAINTEXT_GITHUB=1: the App's tokens and GitHub's answers go in the clear to ${new URL(baseUrl!).host}`);
    else problems.push(`${name}: ${api}, since the App's tokens go there; or AGENT_GATE_ALLOW_PLAINTEXT_GITHUB=1 for a network you trust (logged at start)`);
  }
  if (s.AGENT_GATE_RECONCILE_SECONDS === 0) warnings.push("AGENT_GATE_RECONCILE_SECONDS=0: reconciliation runs once at start and never on a schedule, so a delivery GitHub failed to make is caught only at the next start");
  return warnings;
}

// WEBHOOK_PATH, else the path of AGENT_GATE_WEBHOOK_URL, else Probot's default; both set must agree.
function webhookPathOf(path: string | undefined, url: string | undefined, problems: string[]): string | undefined {
  const fromUrl = url === undefined ? undefined : new URL(url).pathname;
  if (path !== undefined && fromUrl !== undefined && fromUrl !== "/" && fromUrl !== path) {
    problems.push(`WEBHOOK_PATH: ${path} differs from the path of AGENT_GATE_WEBHOOK_URL (${fromUrl}); expected the same path, or only one of them`);
    return undefined;
  }
  return path ?? (fromUrl !== undefined && fromUrl !== "/" ? fromUrl : DEFAULT_WEBHOOK_PATH);
}

function settingsError(problems: string[], missing: number): AgentGateError {
  const hint = missing > 0 ? `\n${SETUP_HINT}` : "";
  const head = problems.length === 1 ? "1 setting is missing or invalid" : `${problems.length} settings are missing or invalid`;
  return new AgentGateError("ENV_INVALID", `${head}:\n  ${problems.join("\n  ")}${hint}`);
}

/** The server's settings; throws AgentGateError ENV_INVALID listing every missing or invalid one. */
export function readServerEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const { problems, missing, settings } = serverProblems(env);
  if (!settings) throw settingsError(problems, missing);
  return settings;
}

/** Both the server's settings and agent-gate's (env.ts), read together so that one message lists every problem. */
export function readAllSettings(env: NodeJS.ProcessEnv = process.env): { env: AppEnv; settings: ServerSettings } {
  const { problems, missing, settings } = serverProblems(env);
  let appEnv: AppEnv | undefined;
  try {
    appEnv = readEnv(env);
  } catch (e) {
    // env.ts joins its problems with "; "
    problems.push(...(e instanceof Error ? e.message : String(e)).split("; "));
  }
  if (!settings || !appEnv) throw settingsError(problems, missing);
  return { env: appEnv, settings };
}

/**
 * `npm start` reads the env file `agent-gate setup` writes: AGENT_GATE_ENV_FILE, else `.env` in the working directory
 * when it exists. Variables already in the environment win (the image's and the orchestrator's settings).
 * Returns what was read and a warning when others than the owner may read the file.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): { path?: string; warning?: string } {
  const given = env.AGENT_GATE_ENV_FILE;
  const path = given !== undefined && given !== "" ? given : DEFAULT_ENV_FILE;
  if (!existsSync(path)) {
    if (given) throw new AgentGateError("ENV_INVALID", `AGENT_GATE_ENV_FILE: ${given} does not exist; expected the env file \`agent-gate setup\` wrote`);
    return {};
  }
  let values: Record<string, string>;
  try {
    values = parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
  } catch (e) {
    throw new AgentGateError("ENV_INVALID", `cannot read the env file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const [k, v] of Object.entries(values)) if (env[k] === undefined) env[k] = v;
  const open = process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0;
  return { path, ...(open ? { warning: openEnvFileWarning(path, values) } : {}) };
}

/** What an env file others may read exposes, by name (never by value): the warning says what it found. */
function openEnvFileWarning(path: string, values: Readonly<Record<string, string>>): string {
  const withPassword = (url: string | undefined): boolean => {
    try {
      return url !== undefined && new URL(url).password !== "";
    } catch {
      return false;
    }
  };
  const found = [
    ...(values.PRIVATE_KEY ? ["the App's private key (PRIVATE_KEY)"] : []),
    ...["WEBHOOK_SECRET", "AGENT_GATE_METRICS_TOKEN"].filter((k) => values[k]),
    ...["DATABASE_URL", "REDIS_URL"].filter((k) => withPassword(values[k])).map((k) => `the password in ${k}`),
  ];
  if (found.length === 0)
    return `${path} may be read by other users: chmod 600 ${path} before a secret is added (it holds none yet: no PRIVATE_KEY, WEBHOOK_SECRET, AGENT_GATE_METRICS_TOKEN, or password in DATABASE_URL or REDIS_URL)`;
  const list = found.length === 1 ? found[0] : `${found.slice(0, -1).join(", ")} and ${found.at(-1)}`;
  return `${path} holds ${list} and may be read by other users: chmod 600 ${path}`;
}
