// Logs that carry no secrets and no prompts. Four layers, each catching what the one before cannot:
//  1. pino `redact` paths for the places known to hold secrets (headers, tokens, keys, webhook secret, prompts);
//  2. a structural scrub of every logged object, binding and error at any depth: a key that names a secret or a
//     prompt is censored whatever its nesting, and every string is passed through the secret detectors of
//     src/core/secrets.ts (GitHub tokens, PEM private keys, JWTs, cloud keys, "password=..." assignments), plus
//     bearer credentials, credentials in URLs and secret-looking query parameters;
//  3. the message itself (including an error's message that pino promotes to `msg`) through the same scrub;
//  4. the final line: exact values of the secrets this process was configured with (WEBHOOK_SECRET, the private
//     key, database passwords, ...), which look like nothing in particular and so escape every pattern.
import pino from "pino";
import type { DestinationStream, Logger, LoggerOptions } from "pino";
import { getTransformStream } from "@probot/pino";
import { redact as redactSecrets } from "../core/secrets.js";
import { putOwn } from "../core/own.js";

export const CENSOR = "[REDACTED]";

// Keys, compared lower-cased without "_", "-" or spaces, whose values are never logged.
const SENSITIVE_KEYS = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "xhubsignature",
  "xhubsignature256",
  "auth", // Octokit's `auth` option: a token, or { appId, privateKey }
  "jwt",
  "pem",
  "privatekeypem",
  "databaseurl",
  "connectionstring",
  "credentials",
  "prompt",
  "prompttext",
]);
const SENSITIVE_SUFFIXES = ["token", "secret", "password", "passwd", "privatekey", "apikey", "prompt", "prompttext"];

/** Whether a property named `key` holds a secret or a prompt: token, private_key, webhookSecret, promptText... */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_ ]/g, "");
  return SENSITIVE_KEYS.has(k) || SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
}

const REDACTED_KEYS = [
  "authorization",
  "token",
  "accessToken",
  "access_token",
  "installationToken",
  "githubToken",
  "refresh_token",
  "id_token",
  "jwt",
  "privateKey",
  "private_key",
  "secret",
  "webhookSecret",
  "webhook_secret",
  "client_secret",
  "clientSecret",
  "password",
  "prompt",
  "prompt_text",
  "promptText",
];

/**
 * pino redact paths: the keys above at the top level and up to three levels down (pino's `*` spans one level), and
 * the request and response headers that pino-http and Octokit errors carry.
 */
export const REDACT_PATHS: readonly string[] = [
  ...REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "*.headers.authorization",
  "*.*.headers.authorization",
  "request.headers.authorization",
  "err.request.headers.authorization",
  "err.response.headers.authorization",
  "payload.prompt",
  "*.payload.prompt",
  "event.payload.prompt",
];

// Credentials the secret detectors do not know: bearer/basic auth, user:password@ in URLs, secret query parameters.
// Bounded classes after literal prefixes only, so the scan stays linear.
const EXTRA: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/-]{16,4096}=*/g, `$1 ${CENSOR}`],
  [/\b([a-z][a-z0-9+.-]{0,20}:\/\/)[^\s/@:]{0,256}:[^\s/@]{1,256}@/gi, `$1${CENSOR}@`],
  [/([?&](?:access_token|token|client_secret|code|sig|signature|key|api_key|apikey|password|jwt)=)[^&#\s"']{1,4096}/gi, `$1${CENSOR}`],
];

/** `text` with secret-looking values replaced: `[REDACTED:<kind>]` for the detectors' finds, `[REDACTED]` for the rest. */
export function scrubText(text: string): string {
  if (text.length < 8) return text;
  let out = redactSecrets(text);
  for (const [re, by] of EXTRA) out = out.replace(re, by);
  return out;
}

const MAX_DEPTH = 12;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An error as a plain object (type, message, stack, code, status, cause...) with every secret scrubbed. */
export function scrubError(err: unknown): unknown {
  return scrub(err);
}

/**
 * A copy of `value` safe to log: sensitive keys censored at any depth, strings scrubbed, errors serialized.
 * Class instances other than errors are left to their own serializers (pino-http's req/res, for instance).
 */
export function scrub(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Object]";
  seen.add(value);
  try {
    // pino's serialized error is not a plain object (its prototype hides `raw`): copy its own fields first
    if (value instanceof Error) return scrub(withoutDelivery({ ...pino.stdSerializers.err(value) }), depth + 1, seen);
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    // A key "__proto__" stays a key (core/own.ts): assigned, it would vanish from the line and its value with it.
    for (const [k, v] of Object.entries(value)) putOwn(out, k, isSensitiveKey(k) && v !== undefined && v !== null ? CENSOR : scrub(v, depth + 1, seen));
    return out;
  } finally {
    seen.delete(value); // the same object twice side by side is not a cycle
  }
}

/** @octokit/webhooks attaches the whole delivery to a handler's error as `event`: its id and name are enough to log. */
function withoutDelivery(err: Record<string, unknown>): Record<string, unknown> {
  const event = err["event"] as { id?: unknown; name?: unknown; payload?: unknown } | null | undefined;
  if (event && typeof event === "object" && "payload" in event) err["event"] = { id: event.id, name: event.name };
  return err;
}

/**
 * Secret values this process holds, from its environment: anything named like a secret, and URL passwords. A path
 * (PRIVATE_KEY_PATH, a *_FILE) names where a secret is, not the secret: left readable in messages about that file.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (/SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIALS/i.test(name) && !/_PATH$|_FILE$/i.test(name)) found.add(value);
    if (/_URL$|_DSN$/i.test(name) && value.includes("@")) {
      try {
        const password = decodeURIComponent(new URL(value).password);
        if (password) found.add(password);
      } catch {
        // not a URL
      }
    }
  }
  return [...found];
}

/** Replaces every occurrence of the given secret values (as written, and as JSON-escaped) in a serialized line. */
export function knownSecretsScrubber(secrets: readonly string[]): (line: string) => string {
  const needles = [...new Set(secrets.filter((s) => s.length >= 8).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(CENSOR);
    return out;
  };
}

/**
 * A message written outside the logger (server.ts's start failure and its other lines on stderr), scrubbed as a log
 * line is: the process's own secret values, then the secret detectors and patterns.
 */
export function scrubMessage(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return scrubText(knownSecretsScrubber(secretsFromEnv(env))(text));
}

/**
 * pino serializes a child's bindings once, when the child is made, into an internal JSON fragment
 * (`,"key":value,...`) and applies no formatter to them; this rewrites that fragment scrubbed.
 */
function scrubChildBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const sym = pino.symbols.chindingsSym;
  const raw = holder[sym];
  if (typeof raw !== "string" || raw.length === 0) return;
  let rewritten: string;
  try {
    const clean = JSON.stringify(scrub(JSON.parse(`{${raw.slice(1)}}`) as unknown));
    rewritten = clean === "{}" ? "" : `,${clean.slice(1, -1)}`;
  } catch {
    rewritten = scrubText(raw);
  }
  holder[sym] = rewritten;
}

export interface RedactionOptions {
  /** Log level; default LOG_LEVEL or "info". */
  readonly level?: string;
  /** The message key (Probot's LOG_MESSAGE_KEY); default "msg". */
  readonly messageKey?: string;
  /** Logger name; default "probot", as Probot names its own. */
  readonly name?: string;
  /** Exact secret values to censor wherever they appear; default secretsFromEnv(). */
  readonly knownSecrets?: readonly string[];
}

/** pino options with every redaction layer; for `pino(pinoOptions(), stream)`. */
export function pinoOptions(options: RedactionOptions = {}): LoggerOptions {
  const messageKey = options.messageKey ?? "msg";
  const streamWrite = knownSecretsScrubber(options.knownSecrets ?? secretsFromEnv());
  return {
    level: options.level ?? process.env["LOG_LEVEL"] ?? "info",
    name: options.name ?? "probot",
    messageKey,
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    serializers: {
      err: scrubError,
      error: scrubError,
      [messageKey]: (msg: unknown) => (typeof msg === "string" ? scrubText(msg) : msg),
    },
    formatters: {
      log: (object) => scrub(object) as Record<string, unknown>,
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>, // the root's only: pino resets it for children
    },
    onChild: scrubChildBindings,
    hooks: {
      // printf-style arguments (log.info("got %s", value)) are interpolated into the message after the serializer
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as Parameters<typeof method>);
      },
      streamWrite,
    },
  };
}

export interface RedactingLoggerOptions extends RedactionOptions {
  /** "json" or "pretty" (Probot's LOG_FORMAT); default from the environment as Probot reads it. */
  readonly logFormat?: "json" | "pretty";
  /** Probot's LOG_LEVEL_IN_STRING: levels as "info" instead of 30 in JSON output. */
  readonly logLevelInString?: boolean;
  /** Probot's SENTRY_DSN: errors go to Sentry through Probot's own transform. */
  readonly sentryDsn?: string;
  /** Where to write JSON lines instead of Probot's formatting to stdout (tests, files). */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger with every redaction layer and Probot's own output formatting (pretty in development, JSON with
 * LOG_FORMAT=json or NODE_ENV=production). Pass it to Probot: `run(appFn, { log })` or `new Probot({ log })`.
 */
export async function redactingLogger(options: RedactingLoggerOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Logger> {
  const opts = pinoOptions({
    ...options,
    level: options.level ?? env["LOG_LEVEL"] ?? "info",
    messageKey: options.messageKey ?? env["LOG_MESSAGE_KEY"] ?? "msg",
    knownSecrets: options.knownSecrets ?? secretsFromEnv(env),
  });
  if (options.destination) return withPlainBindingsFast(pino(opts, options.destination));
  const logFormat = options.logFormat ?? (env["LOG_FORMAT"] ? (env["LOG_FORMAT"] === "pretty" ? "pretty" : "json") : env["NODE_ENV"] === "production" ? "json" : "pretty");
  const sentryDsn = options.sentryDsn ?? env["SENTRY_DSN"];
  const transform = await getTransformStream({
    logFormat,
    logLevelInString: options.logLevelInString ?? env["LOG_LEVEL_IN_STRING"] === "true",
    ...(sentryDsn ? { sentryDsn } : {}),
  });
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return withPlainBindingsFast(pino(opts, transform));
}

/**
 * pino passes every binding and every top-level value of a line through its `redact` paths' wildcard stringifier,
 * which walks all the paths even for a string, a number or a boolean, where no path can match (a path names a
 * property): that is most of the cost of a child logger made per event. Such a value goes straight to the
 * serializer the stringifier would end with; objects still go through every path. The scrub layers are untouched.
 */
export function withPlainBindingsFast(logger: Logger): Logger {
  const holder = logger as unknown as Record<symbol, unknown>;
  const stringifiers = holder[pino.symbols.stringifiersSym] as Record<symbol, unknown> | undefined;
  const serialize = holder[pino.symbols.stringifySym];
  const wildcard = stringifiers?.[pino.symbols.wildcardFirstSym];
  if (!stringifiers || typeof wildcard !== "function" || typeof serialize !== "function") return logger;
  const redactObject = wildcard as (value: unknown, safe?: unknown) => string;
  const plain = serialize as (value: unknown) => string;
  stringifiers[pino.symbols.wildcardFirstSym] = (value: unknown, safe?: unknown): string => (typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? plain(value) : redactObject(value, safe));
  return logger;
}
