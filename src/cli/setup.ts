// `agent-gate setup`: registers the GitHub App from app.yml through GitHub's App manifest flow and writes its
// credentials where `npm start` and the image read them (an env file, mode 0600).
//   1. a page on 127.0.0.1 posts the manifest (app.yml, the operator's webhook URL, a redirect back here) to GitHub's
//      /settings/apps/new (or an organisation's) with a random `state`;
//   2. GitHub creates the App and redirects the browser back with a one-time `code` (and the same state);
//   3. the code is exchanged at POST {api}/app-manifests/{code}/conversions for the App's id, private key and
//      webhook secret. `--code` does step 3 alone, for a code obtained another way.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { convertManifest, type ManifestConversion } from "../adapters/github/app-manifest.js";
import { describeError } from "../core/errors.js";
import { secureUrlProblem } from "../core/secure-url.js";
import { DEFAULT_ENV_FILE, DEFAULT_WEBHOOK_PATH } from "../config/server-env.js";
import { CliFailure, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";

const USAGE = `usage: agent-gate setup --webhook-url URL [--org ORG] [--name NAME] [--env-file FILE] [--force]
         [--private-key-file FILE] [--github-url URL] [--api-url URL] [--port N] [--timeout SECONDS]
         [--code CODE] [--json]

Registers the GitHub App described by app.yml through GitHub's manifest flow: open the page it prints in a browser
on this machine, confirm on GitHub, and the App's credentials are written to FILE (default ${DEFAULT_ENV_FILE}, mode 0600),
which \`npm start\` reads: APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH with --private-key-file), WEBHOOK_SECRET,
AGENT_GATE_WEBHOOK_URL and a new AGENT_GATE_METRICS_TOKEN (the bearer token /metrics asks for). An existing file is
never overwritten without --force.

  --webhook-url URL       where GitHub sends deliveries, e.g. https://gate.example.com${DEFAULT_WEBHOOK_PATH}
                          (a URL without a path gets ${DEFAULT_WEBHOOK_PATH})
  --org ORG               create the App in an organisation (default: your account)
  --name NAME             the App's name on GitHub, unique there (default: app.yml's)
  --private-key-file FILE write the private key to FILE (mode 0600) and PRIVATE_KEY_PATH to the env file
  --github-url URL        GitHub's web address (default https://github.com; GitHub Enterprise Server: https://HOST)
  --api-url URL           GitHub's REST API (default https://api.github.com, or URL/api/v3 for --github-url)
                          (both https: the App's private key and secrets come back through them; plain http
                          only to 127.0.0.1 or localhost)
  --port N                the local page's port on 127.0.0.1 (default: any free port; with ssh -L, a fixed one)
  --timeout SECONDS       how long to wait for GitHub's redirect (default 900)
  --code CODE             skip the browser: exchange a code GitHub already redirected with`;

const OPTIONS = {
  "webhook-url": { type: "string" },
  org: { type: "string" },
  name: { type: "string" },
  "env-file": { type: "string" },
  force: { type: "boolean" },
  "private-key-file": { type: "string" },
  "github-url": { type: "string" },
  "api-url": { type: "string" },
  port: { type: "string" },
  timeout: { type: "string" },
  code: { type: "string" },
} as const;

const SPEC = { name: "setup", usage: USAGE, options: OPTIONS };

const GITHUB = "https://github.com";
const GITHUB_API = "https://api.github.com";
// app.yml sits at the package root, two folders above both src/cli and dist/cli
const APP_YML = new URL("../../app.yml", import.meta.url);

type Conversion = ManifestConversion;

export interface SetupDeps {
  /** How GitHub's API is reached (tests pass the stand-in's validating fetch). */
  readonly fetch?: typeof globalThis.fetch;
}

export interface SetupResult {
  readonly app: { readonly id: number; readonly slug?: string; readonly name: string; readonly html_url: string };
  readonly envFile: string;
  readonly privateKeyFile?: string;
  readonly webhookUrl: string;
  readonly written: readonly string[];
  readonly warnings: readonly string[];
}

function httpUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: expected an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError(`${flag}: expected an http(s) URL, got ${JSON.stringify(value)}`);
  return url;
}

/**
 * A URL the App's credentials travel through: https (plain http to this machine's loopback only). The browser's GitHub
 * session and the one-time code go to --github-url; the code comes back from --api-url with the private key, the
 * webhook secret and the client secret.
 */
function secureUrl(flag: string, value: string, what: string): URL {
  const url = httpUrl(flag, value);
  const problem = secureUrlProblem(url.href, what);
  if (problem !== undefined) throw new UsageError(`${flag}: ${problem}`);
  return url;
}

const trimSlash = (s: string): string => s.replace(/\/+$/, "");

function intFlag(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The manifest GitHub creates the App from: app.yml, named and pointed at the operator's webhook URL. */
export function buildManifest(opts: { webhookUrl: string; name?: string; redirectUrl?: string; appYml?: URL | string }): Record<string, unknown> {
  const app = parseYaml(readFileSync(opts.appYml ?? APP_YML, "utf8")) as Record<string, unknown>;
  const hook = (app.hook_attributes ?? {}) as Record<string, unknown>;
  return {
    ...app,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    hook_attributes: { ...hook, url: opts.webhookUrl, active: true },
    ...(opts.redirectUrl !== undefined ? { redirect_url: opts.redirectUrl } : {}),
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Exchanges the one-time code for the App's credentials (src/adapters/github/app-manifest.ts). */
async function exchange(apiUrl: string, code: string, fetchFn: typeof globalThis.fetch): Promise<Conversion> {
  const r = await convertManifest(apiUrl, code, fetchFn);
  if (!r.ok) throw new CliFailure(r.code, r.message);
  return r.app;
}

// An env file's value on one line, as node --env-file, dotenv and container env files all read it: the PEM's line
// breaks become literal \n (the server turns them back), anything else that would be cut or misread is refused.
function envValue(name: string, value: string): string {
  const v = value.replace(/\r?\n/g, "\\n");
  if (!/^[^\s#"'`][^\n#"'`]*$/.test(v) || /\s$/.test(v)) throw new CliFailure("SETUP_FAILED", `${name} from GitHub cannot be written to an env file as it is`);
  return v;
}

/** Writes a file readable by its owner only: exclusively (never over an existing file) unless `force`. */
function writePrivate(path: string, text: string, force: boolean): void {
  if (!force) {
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
    return;
  }
  // replaced atomically, and 0600 even where an older file was not
  const tmp = join(dirname(path), `.${Date.now()}.${process.pid}.agent-gate-setup.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

interface Plan {
  readonly webhookUrl: string;
  readonly envFile: string;
  readonly privateKeyFile: string | undefined;
  readonly apiUrl: string;
  readonly force: boolean;
}

function writeCredentials(app: Conversion, plan: Plan, now: Date): { written: string[]; warnings: string[] } {
  const warnings: string[] = [];
  let secret = app.webhook_secret;
  if (secret === null || secret.length < 16) {
    // The App exists now and its code is spent: keep its key, with a secret the operator enters on GitHub.
    secret = randomBytes(20).toString("hex");
    warnings.push(`GitHub gave no usable webhook secret: a new one was written to ${plan.envFile}; enter it as the App's webhook secret on ${app.html_url} (deliveries are refused until then)`);
  }
  const lines = [
    `# Written by \`agent-gate setup\` at ${now.toISOString()}: the credentials of the GitHub App "${app.name.replace(/[\r\n]/g, " ")}" (${app.html_url}).`,
    "# `npm start` reads this file (AGENT_GATE_ENV_FILE names another); keep it private (mode 0600) and out of version control.",
    `APP_ID=${app.id}`,
  ];
  const written = ["APP_ID"];
  if (plan.privateKeyFile !== undefined) {
    writePrivate(plan.privateKeyFile, app.pem.endsWith("\n") ? app.pem : `${app.pem}\n`, plan.force);
    lines.push(`PRIVATE_KEY_PATH=${envValue("the private key's path", plan.privateKeyFile)}`);
    written.push("PRIVATE_KEY_PATH");
  } else {
    lines.push(`PRIVATE_KEY=${envValue("the private key", app.pem)}`);
    written.push("PRIVATE_KEY");
  }
  lines.push(`WEBHOOK_SECRET=${envValue("the webhook secret", secret)}`, `AGENT_GATE_WEBHOOK_URL=${envValue("the webhook URL", plan.webhookUrl)}`);
  // /metrics behind a bearer token of its own: required once HOST serves other machines (the image's 0.0.0.0).
  lines.push(`AGENT_GATE_METRICS_TOKEN=${randomBytes(24).toString("hex")}`);
  written.push("WEBHOOK_SECRET", "AGENT_GATE_WEBHOOK_URL", "AGENT_GATE_METRICS_TOKEN");
  if (plan.apiUrl !== GITHUB_API) {
    lines.push(`AGENT_GATE_GITHUB_API_URL=${envValue("the API URL", plan.apiUrl)}`);
    written.push("AGENT_GATE_GITHUB_API_URL");
  }
  writePrivate(plan.envFile, `${lines.join("\n")}\n`, plan.force);
  return { written, warnings };
}

/** Serves the page that posts the manifest to GitHub, and waits for GitHub's redirect back with the code. */
async function browserStep(opts: { formAction: string; manifest: (redirectUrl: string) => Record<string, unknown>; port: number; timeoutMs: number; io: Io; onCode: (code: string) => Promise<string> }): Promise<void> {
  const state = randomBytes(16).toString("hex");
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let manifestJson = "";
      let busy = false;
      server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const send = (status: number, title: string, body: string): void => {
          res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page(title, body));
        };
        if (req.method !== "GET") return send(405, "Method not allowed", "<p>Expected GET.</p>");
        if (url.pathname === "/") {
          const action = `${opts.formAction}?state=${state}`;
          return send(
            200,
            "Register agent-gate on GitHub",
            `<form id="f" method="post" action="${escapeHtml(action)}"><input type="hidden" name="manifest" value="${escapeHtml(manifestJson)}">` +
              `<p>GitHub will show the App's name, permissions and events before it creates it.</p><button type="submit">Create the GitHub App</button></form>` +
              `<script>document.getElementById("f").submit()</script>`,
          );
        }
        if (url.pathname !== "/callback") return send(404, "Not found", "<p>Nothing here.</p>");
        const code = url.searchParams.get("code");
        if (url.searchParams.get("state") !== state || !code) return send(400, "Not from this setup", "<p>The redirect does not carry this setup's state and a code; start again from the page this setup printed.</p>");
        if (busy) return send(409, "Already exchanging", "<p>This setup is already exchanging a code.</p>");
        busy = true;
        opts.onCode(code).then(
          (summary) => {
            // the page is answered before the server closes
            res.on("finish", () => resolve());
            send(200, "agent-gate is registered", `<p>${escapeHtml(summary)}</p><p>You can close this tab.</p>`);
          },
          (e: unknown) => {
            res.on("finish", () => reject(e instanceof Error ? e : new Error(describeError(e))));
            send(502, "Registration failed", `<p>${escapeHtml(describeError(e))}</p>`);
          },
        );
      });
      server.on("error", (e) => reject(new CliFailure("SETUP_FAILED", `cannot serve the setup page on 127.0.0.1:${opts.port}: ${describeError(e)}`)));
      server.listen(opts.port, "127.0.0.1", () => {
        const port = (server!.address() as AddressInfo).port;
        manifestJson = JSON.stringify(opts.manifest(`http://127.0.0.1:${port}/callback`));
        opts.io.err(`Open http://127.0.0.1:${port}/ in a browser on this machine to create the App on GitHub (waiting ${Math.round(opts.timeoutMs / 1000)} s).`);
      });
      timer = setTimeout(() => reject(new CliFailure("SETUP_TIMEOUT", `GitHub did not redirect back within ${Math.round(opts.timeoutMs / 1000)} s; nothing was written`)), opts.timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeAllConnections(); // a browser's keep-alive connection would hold the close
    await closed;
  }
}

export function setupCommand(argv: string[], io: Io = consoleIo(), deps: SetupDeps = {}): Promise<number> {
  return runCommand(SPEC, argv, io, async ({ values, emit, json }) => {
    if (values["webhook-url"] === undefined) throw new UsageError("expected --webhook-url URL: where GitHub sends the App's deliveries");
    const hook = httpUrl("--webhook-url", values["webhook-url"]);
    if (hook.search || hook.hash) throw new UsageError("--webhook-url: expected a URL without a query or fragment");
    if (hook.pathname === "/") hook.pathname = DEFAULT_WEBHOOK_PATH;
    const warnings: string[] = [];
    if (hook.protocol !== "https:") warnings.push(`${hook.href} is not https: deliveries (pull requests, signatures) would cross the network in clear text`);
    const githubUrl = trimSlash(secureUrl("--github-url", values["github-url"] ?? GITHUB, "GitHub").href);
    const apiUrl = trimSlash(secureUrl("--api-url", values["api-url"] ?? (githubUrl === GITHUB ? GITHUB_API : `${githubUrl}/api/v3`), "GitHub API").href);
    if (values.org !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(values.org)) throw new UsageError(`--org: expected an organisation's login, got ${JSON.stringify(values.org)}`);
    if (values.name !== undefined && !/^\S(?:.{0,32}\S)?$/.test(values.name)) throw new UsageError("--name: expected 1 to 34 characters, not starting or ending with a space");
    if (values.code !== undefined && !/^[A-Za-z0-9_-]{1,100}$/.test(values.code)) throw new UsageError("--code: expected the code from GitHub's redirect (letters, digits, - and _)");
    const port = intFlag("--port", values.port, 0, 0, 65535);
    const timeoutMs = intFlag("--timeout", values.timeout, 900, 1, 86_400) * 1000;
    const force = values.force === true;
    const plan: Plan = { webhookUrl: hook.href, envFile: values["env-file"] ?? DEFAULT_ENV_FILE, privateKeyFile: values["private-key-file"], apiUrl, force };
    // Before GitHub creates anything: a code works once, so the credentials must have somewhere to go.
    for (const [flag, path] of [["--env-file", plan.envFile], ["--private-key-file", plan.privateKeyFile]] as const) {
      if (path !== undefined && existsSync(path) && !force) throw new CliFailure("ENV_FILE_EXISTS", `${path} exists; pass --force to replace it (${flag})`);
      if (path !== undefined && !existsSync(dirname(path))) throw new UsageError(`${flag}: the folder of ${path} does not exist`);
    }
    const fetchFn = deps.fetch ?? globalThis.fetch;
    let result: SetupResult | undefined;
    const onCode = async (code: string): Promise<string> => {
      const app = await exchange(apiUrl, code, fetchFn);
      const { written, warnings: more } = writeCredentials(app, plan, new Date());
      warnings.push(...more);
      result = {
        app: { id: app.id, ...(app.slug !== undefined ? { slug: app.slug } : {}), name: app.name, html_url: app.html_url },
        envFile: plan.envFile,
        ...(plan.privateKeyFile !== undefined ? { privateKeyFile: plan.privateKeyFile } : {}),
        webhookUrl: plan.webhookUrl,
        written,
        warnings,
      };
      return `Created the GitHub App "${app.name}" (id ${app.id}); its credentials are in ${plan.envFile}. Next: install it on your repositories from ${app.html_url}.`;
    };
    if (values.code !== undefined) {
      await onCode(values.code);
    } else {
      const orgPath = values.org !== undefined ? `/organizations/${values.org}` : "";
      await browserStep({
        formAction: `${githubUrl}${orgPath}/settings/apps/new`,
        manifest: (redirectUrl) => buildManifest({ webhookUrl: plan.webhookUrl, ...(values.name !== undefined ? { name: values.name } : {}), redirectUrl }),
        port,
        timeoutMs,
        io,
        onCode,
      });
    }
    const r = result!;
    for (const w of r.warnings) io.err(`agent-gate setup: warning: ${w}`);
    if (json) emit(r);
    else {
      io.out(`Created the GitHub App "${r.app.name}" (id ${r.app.id}): ${r.app.html_url}`);
      io.out(`Wrote ${r.written.join(", ")} to ${r.envFile} (mode 0600)${r.privateKeyFile ? ` and the private key to ${r.privateKeyFile}` : ""}.`);
      io.out(`Next: install the App on your repositories (${r.app.html_url}), then \`npm start\` in this folder reads ${r.envFile}.`);
    }
    return EXIT_OK;
  });
}
