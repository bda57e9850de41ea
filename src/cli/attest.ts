// `agent-gate attest`: sign an agent's provenance for the commits it produced and write (or publish) the bundle.
// Exit 0 when signed and checked as the PR gate checks it; 1 when refused (secrets, missing OIDC permission, a key
// that is unusable, signing or publishing failed, a bundle the gate would refuse: attest-check.ts); 2 for bad
// arguments, flags that have no effect, unreadable inputs or an unexpected error (args.ts). Every error names what
// was expected; secrets are named by place, never shown.
import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { AgentGateError, describeError } from "../core/errors.js";
import { secureUrlProblem } from "../core/secure-url.js";
import { CliFailure, UsageError, EXIT_OK, EXIT_USAGE, consoleIo, runCommand, type Io } from "./args.js";
import { SLSA_PROVENANCE_V1 } from "../core/provenance.js";
import { actionsIdToken, attestStatement, httpRekorV1Uploader, httpRekorV2Uploader, httpTimestamper, signKeyless, signStatement } from "../app/attest.js";
import type { Attestation } from "../app/attest.js";
import { COSIGN_KEY_LABEL, CosignKeyError, createKeySigner, decryptCosignKey } from "../adapters/sigstore/signing/index.js";
import { commitTrailers } from "./attest-trailers.js";
import { checkAttestation, checkIncludedPrompt, checkRepository, checkSigningFlags, type SelfCheck } from "./attest-check.js";
import { publish, publishTarget, type PublishTarget } from "./attest-publish.js";
import { TRUSTED_ROOT_USAGE, verifierForRoots } from "./trusted-roots.js";
import type { SignerPolicy } from "../adapters/sigstore/verifier.js";

const USAGE = `usage: agent-gate attest --agent NAME --agent-version V --model PROVIDER/MODEL --model-version V
         --prompt-file FILE [--include-prompt] [--config-file FILE]
         [--repo OWNER/REPO] [--base SHA] [--base-ref REF] [--commits SHA,SHA,...]
         (--key PRIVATE_KEY.pem | --key cosign.key with COSIGN_PASSWORD | keyless in GitHub Actions with id-token: write)
         [--tsa-url URL] [--fulcio-url URL (keyless)] [--rekor-url URL [--rekor-version 1|2]]
         [--trusted-root [NAME=]FILE | github | public-good]...
         [--actor LOGIN --actor-id N] [--out FILE] [--publish pr [--pr N]] [--json]
Defaults come from the GitHub Actions environment: GITHUB_REPOSITORY, GITHUB_BASE_REF, GITHUB_ACTOR(_ID),
GITHUB_EVENT_NAME, GITHUB_RUN_ID; --base defaults to the merge base of HEAD and origin/$GITHUB_BASE_REF and
--commits to the commits from the base to HEAD (git rev-list).
The prompt is always recorded by its sha256 digest; its text only with --include-prompt (at most 65536 characters).
The bundle's predicate type is ${SLSA_PROVENANCE_V1} (cosign verify-blob-attestation --type).
Before the bundle is written or published it is checked as the PR gate checks it: verified by the gate's verifier
against the trusted roots (any certified identity, or the signing key) and bound to the signed commits of --repo;
a bundle the gate would refuse (a key-signed one with no --rekor-url, a private deployment's without its
--trusted-root) exits 1 with ATTESTATION_UNVERIFIABLE and is neither written nor published. Rekor v2 needs --tsa-url;
--rekor-version needs --rekor-url; --fulcio-url is for keyless signing; --pr needs --publish pr.
${TRUSTED_ROOT_USAGE}
--publish pr drops the blocks of earlier pushes that the new block covers (same signer, all their commits), and
refuses a body over GitHub's 65536-character cap.
--json prints {"signed", "commits", "out", "published", "bundle"} instead of the bundle alone.
       agent-gate attest --commit-trailers --agent NAME [--agent-version V] --model PROVIDER/MODEL [--model-version V]
         --prompt-file FILE [--json]
prints the agent trailers (Agent, Agent-Version, Agent-Model, Agent-Model-Version, Agent-Prompt-SHA256) for a
commit an agent signs itself (gitsign), e.g. git commit -S -m "subject" -m "$(agent-gate attest --commit-trailers ...)";
nothing is signed, and the prompt only gives its sha256. --json prints {"trailers": [{key, value}], "lines"}.
exit codes: 0 signed and checked, 1 refused (secrets, no OIDC permission, an unusable key, signing or publishing
failed, a bundle the PR gate would refuse), 2 usage (flags with no effect included) or error`;

export interface AttestIo extends Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly fetch: typeof fetch;
  readonly now: () => Date;
}

const defaultIo = (): AttestIo => ({
  ...consoleIo(),
  env: process.env,
  cwd: process.cwd(),
  fetch: globalThis.fetch,
  now: () => new Date(),
});

const OPTIONS = {
  agent: { type: "string" },
  "agent-version": { type: "string" },
  model: { type: "string" },
  "model-version": { type: "string" },
  "prompt-file": { type: "string" },
  "include-prompt": { type: "boolean" },
  "config-file": { type: "string" },
  base: { type: "string" },
  "base-ref": { type: "string" },
  commits: { type: "string" },
  repo: { type: "string" },
  key: { type: "string" },
  "fulcio-url": { type: "string" },
  "rekor-url": { type: "string" },
  "rekor-version": { type: "string" },
  "tsa-url": { type: "string" },
  actor: { type: "string" },
  "actor-id": { type: "string" },
  out: { type: "string" },
  publish: { type: "string" },
  pr: { type: "string" },
  "trusted-root": { type: "string", multiple: true },
  "commit-trailers": { type: "boolean" },
} as const;

// A refusal (secrets, no OIDC permission, signing or publishing failed) is an AgentGateError: exit 1.
const SPEC = { name: "attest", usage: USAGE, options: OPTIONS, errorExit: 1 } as const;

/** `io` may give only some of its parts (main passes stdout and stderr); the rest come from the process. */
export function attestCommand(args: string[], io: Partial<AttestIo> = {}): Promise<number> {
  const full: AttestIo = { ...defaultIo(), ...io };
  return runCommand(SPEC, args, full, async ({ values, json, emit }) => {
    if (values["commit-trailers"] === true) return trailersOnly(values, json, emit, full);
    const { attestation, check, target } = await attest(values, full);
    if (values.out !== undefined) writeFileSync(values.out, attestation.bundleJson + "\n");
    else if (values.publish === undefined && !json) full.out(attestation.bundleJson);
    const published = target !== undefined ? await publish(target, attestation, check, full) : undefined;
    const commits = attestation.statement.subject.map((s) => s.digest.gitCommit);
    const root = check.verified.signer.root ?? "public-good";
    full.err(`agent-gate attest: signed provenance for ${commits.length} commit(s) (${commits.map((c) => c.slice(0, 7)).join(", ")}), checked as the PR gate checks it (trusted root ${root})${values.out !== undefined ? ` -> ${values.out}` : ""}`);
    emit({ signed: true, commits, out: values.out ?? null, published: published ?? null, bundle: JSON.parse(attestation.bundleJson) as unknown });
    return EXIT_OK;
  });
}

type Values = {
  readonly [K in keyof typeof OPTIONS]?: ((typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string) | undefined;
};

/** --commit-trailers: only the trailer lines (attest-trailers.ts); signing and publishing flags do not belong here. */
function trailersOnly(v: Values, json: boolean, emit: (doc: unknown) => void, io: AttestIo): number {
  const trailers = new Set<string>(["agent", "agent-version", "model", "model-version", "prompt-file", "commit-trailers"]);
  const signing = Object.keys(OPTIONS).filter((k) => !trailers.has(k) && v[k as keyof Values] !== undefined);
  if (signing.length > 0) throw new UsageError(`--commit-trailers signs nothing: drop --${signing.join(", --")}`);
  const prompt = v["prompt-file"];
  const t = commitTrailers({ agent: v.agent, agentVersion: v["agent-version"], model: v.model, modelVersion: v["model-version"], promptText: prompt !== undefined ? readText("prompt file", prompt) : undefined });
  if (json) emit({ trailers: t.trailers, lines: t.lines });
  else io.out(t.lines.join("\n"));
  return EXIT_OK;
}

function required(v: Values, name: keyof Values): string {
  const x = v[name];
  if (typeof x !== "string" || x.length === 0) throw new UsageError(`expected --${name}`);
  return x;
}

function readText(what: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
}

function git(io: AttestIo, ...args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: io.cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new AgentGateError("GIT_FAILED", `git ${args.join(" ")} failed: ${stderr !== undefined && stderr.length > 0 ? stderr : describeError(e)}`);
  }
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function resolveCommit(io: AttestIo, rev: string): string {
  const sha = git(io, "rev-parse", "--verify", `${rev}^{commit}`);
  if (!SHA.test(sha)) throw new AgentGateError("GIT_FAILED", `expected a commit id for ${rev}, got ${JSON.stringify(sha)}`);
  return sha;
}

async function attest(v: Values, io: AttestIo): Promise<{ attestation: Attestation; check: SelfCheck; target: PublishTarget | undefined }> {
  const env = io.env;
  // Fulcio is sent the OIDC token; Rekor and the TSA the signature: https only (loopback http for local tests).
  for (const [flag, what] of [["fulcio-url", "Fulcio"], ["rekor-url", "Rekor"], ["tsa-url", "timestamp authority"]] as const) {
    const url = v[flag];
    const problem = url === undefined ? undefined : secureUrlProblem(url, what);
    if (problem !== undefined) throw new UsageError(`--${flag}: ${problem}`);
  }
  // --publish pr sends the workflow's token to GITHUB_API_URL: refused before anything is signed.
  const api = v.publish !== undefined ? env.GITHUB_API_URL : undefined;
  const apiProblem = api === undefined ? undefined : secureUrlProblem(api, "GitHub API");
  if (apiProblem !== undefined) throw new UsageError(`--publish pr: GITHUB_API_URL: ${apiProblem}`);
  const repository = checkRepository(v.repo ?? env.GITHUB_REPOSITORY);
  const agent = { name: required(v, "agent"), version: required(v, "agent-version") };
  const model = { id: required(v, "model"), version: required(v, "model-version") };
  const promptPath = required(v, "prompt-file");
  const prompt = { path: promptPath, text: readText("prompt file", promptPath), includeText: v["include-prompt"] === true };
  checkIncludedPrompt(promptPath, prompt.text, prompt.includeText);
  const config = v["config-file"] !== undefined ? { path: v["config-file"], text: readText("config file", v["config-file"]) } : undefined;
  const rekorVersion = v["rekor-version"] === undefined ? 1 : Number(v["rekor-version"]);
  if (rekorVersion !== 1 && rekorVersion !== 2) throw new UsageError(`expected --rekor-version 1 or 2, got ${v["rekor-version"] ?? ""}`);
  if (v.publish !== undefined && v.publish !== "pr") throw new UsageError(`expected --publish pr, got --publish ${v.publish}`);
  checkSigningFlags(v, rekorVersion);
  // where --publish pr writes (the token, the pull request's number) is known before anything is signed
  const target = v.publish !== undefined ? publishTarget(v.pr, env) : undefined;
  // the trusted roots the bundle is checked against, loaded (and a bad one refused) before anything is signed
  const verifier = rootsOf(v["trusted-root"] ?? []);

  const baseRef = v["base-ref"] ?? (env.GITHUB_BASE_REF || undefined) ?? "main"; // Actions sets it empty outside pull_request events
  const base = v.base !== undefined ? resolveCommit(io, v.base) : resolveCommit(io, git(io, "merge-base", "HEAD", `origin/${baseRef}`));
  const shas =
    v.commits !== undefined
      ? v.commits.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => resolveCommit(io, s))
      : git(io, "rev-list", "--reverse", `${base}..HEAD`).split("\n").filter((s) => s.length > 0);
  if (shas.length === 0) throw new AgentGateError("NO_COMMITS", `no commits from the base ${base.slice(0, 7)} to HEAD: nothing to attest (give --commits or --base)`);
  const commits = shas.map((sha) => ({ sha, tree: git(io, "rev-parse", `${sha}^{tree}`) }));

  const login = v.actor ?? env.GITHUB_ACTOR;
  const id = Number(v["actor-id"] ?? env.GITHUB_ACTOR_ID);
  if (login === undefined || !Number.isInteger(id) || id <= 0) {
    throw new UsageError("expected who delegated the task: --actor LOGIN --actor-id N (or GITHUB_ACTOR and GITHUB_ACTOR_ID)");
  }
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  const builderId = env.GITHUB_WORKFLOW_REF !== undefined ? `${server}/${env.GITHUB_WORKFLOW_REF}` : "https://agent-gate.dev/attest/cli";
  const runId = env.GITHUB_RUN_ID !== undefined ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? "1"}` : randomUUID();
  const now = io.now().toISOString().replace(/\.\d{3}Z$/, "Z");

  // keyless needs the workflow's OIDC token: asked for first, so a missing permission is reported before anything else
  const keyPath = v.key;
  const idToken = keyPath === undefined ? await actionsIdToken(env, io.fetch) : undefined;
  const statement = attestStatement({
    repository,
    commits,
    runtime: agent,
    model,
    prompt,
    ...(config ? { config } : {}),
    target: { repository, baseRef, baseCommit: base },
    delegation: { principal: { login, id }, trigger: { event: env.GITHUB_EVENT_NAME ?? "manual", at: now } },
    builderId,
    invocation: { invocationId: runId, startedOn: now, finishedOn: now },
  });
  let attestation: Attestation;
  let signers: SignerPolicy[];
  if (keyPath === undefined || idToken !== undefined) {
    attestation = await signKeyless(statement, {
      idToken: idToken ?? "", // set whenever there is no --key
      ...(v["fulcio-url"] !== undefined ? { fulcioUrl: v["fulcio-url"] } : {}),
      ...(v["rekor-url"] !== undefined ? { rekorUrl: v["rekor-url"] } : {}),
      ...(v["tsa-url"] !== undefined ? { tsaUrl: v["tsa-url"] } : {}),
      rekorVersion,
      fetch: io.fetch,
    });
    signers = [{ kind: "any-certificate" }]; // the gate verifies any certified identity; its policy judges which count
  } else {
    const signer = createKeySigner(loadPrivateKey(keyPath, env), { source: keyPath });
    // with a key nothing is logged or timestamped unless asked: the PR gate needs a log entry (--rekor-url) and
    // accepts a timestamp (--tsa-url) as the signed time
    attestation = await signStatement(statement, {
      signer,
      ...(v["tsa-url"] !== undefined ? { timestamper: httpTimestamper(v["tsa-url"], io.fetch) } : {}),
      ...(v["rekor-url"] !== undefined ? { tlog: (rekorVersion === 2 ? httpRekorV2Uploader : httpRekorV1Uploader)(v["rekor-url"], io.fetch) } : {}),
    });
    signers = [{ kind: "key", publicKeyPem: signer.publicKeyPem, keyHint: signer.keyHint }];
  }
  return { attestation, check: checkAttestation(attestation, { verifier, signers, flags: v }, repository, commits), target };
}

/** The gate's verifier over the given roots; an unusable root is an input error (exit 2), as in verify-bundle. */
function rootsOf(entries: readonly string[]): ReturnType<typeof verifierForRoots> {
  try {
    return verifierForRoots(entries, undefined, { verdictCacheSize: 0 });
  } catch (e) {
    if (e instanceof AgentGateError) throw new CliFailure(e.code, e.message, EXIT_USAGE);
    throw e;
  }
}

function loadPrivateKey(path: string, env: AttestIo["env"]): string {
  const pem = readText("private key", path);
  if (pem.includes(`BEGIN ${COSIGN_KEY_LABEL}`)) {
    const password = env.COSIGN_PASSWORD;
    if (password === undefined) throw new UsageError(`${path} is a cosign key file: give its password in COSIGN_PASSWORD (empty for none)`);
    try {
      return decryptCosignKey(pem, password);
    } catch (e) {
      if (e instanceof CosignKeyError) throw new AgentGateError("KEY_UNREADABLE", `cannot decrypt the cosign key ${path}: ${e.message}`);
      throw e;
    }
  }
  if (!/-----BEGIN (?:EC )?PRIVATE KEY-----/.test(pem)) throw new UsageError(`expected a PEM EC private key or a cosign key file in ${path}`);
  return pem;
}
