// `agent-gate verify-commit`: verifies a gitsign-signed commit offline, with the conventions of verify-bundle.
//   agent-gate verify-commit (--commit-file RAW_COMMIT | --repo OWNER/REPO --sha SHA [--api-url URL])
//     (--certificate-identity ID | --certificate-identity-regexp RE) --certificate-oidc-issuer URL [--trusted-root FILE] [--json]
// With --repo/--sha the commit is read from GitHub (adapters/github/commits.ts, token from GITHUB_TOKEN) and must
// rebuild exactly that SHA; then it is verified exactly as a commit file is. GitHub's own "verified" is not used.
// Exit 0 when verified; 1 with the reason when not (NO_SIGNED_TIME for a commit without an embedded Rekor entry);
// 2 for bad arguments, an unreadable commit file, GitHub not answering or an unusable trusted root (args.ts).
import { createHash } from "node:crypto";
import { openSync, readSync, closeSync } from "node:fs";
import { describeError } from "../core/errors.js";
import { CliFailure, EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";
import { loadPinnedRoot, loadRootFile } from "../adapters/sigstore/trusted-root.js";
import { MAX_COMMIT_BYTES, commitTrustMaterial, verifyGitsignCommit } from "../adapters/sigstore/gitsign.js";
import { apiUrlProblem, readCommitSignature } from "../adapters/github/commits.js";
import { secureUrlProblem } from "../core/secure-url.js";
import { lookupCommitEntries } from "../adapters/sigstore/gitsign-online.js";
import type { SignerPolicy } from "../adapters/sigstore/verifier.js";

const USAGE = `usage: agent-gate verify-commit (--commit-file RAW_COMMIT | --repo OWNER/REPO --sha SHA [--api-url URL])
         (--certificate-identity ID | --certificate-identity-regexp ^RE$) --certificate-oidc-issuer URL
         [--trusted-root trusted_root.json] [--rekor-url URL] [--json]
RAW_COMMIT is what \`git cat-file commit SHA\` prints for a gitsign-signed commit. --repo/--sha read the commit from
GitHub's REST API (token from GITHUB_TOKEN, optional for public repositories; API from --api-url, else GITHUB_API_URL,
else https://api.github.com). Verification is offline: only a commit carrying its Rekor entry
(gitsign.rekorMode=offline) has a signed time; others fail with NO_SIGNED_TIME, unless --rekor-url names a Rekor v1
log to look the commit's entry up in (gitsign's online mode; off by default, the only network use besides --repo).`;

// reads at most one byte past the cap, so a huge file is refused without being loaded
function readCommit(path: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buf = Buffer.alloc(MAX_COMMIT_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > MAX_COMMIT_BYTES) throw new UsageError(`commit file ${path} is larger than ${MAX_COMMIT_BYTES} bytes; expected one raw commit object`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read commit file ${path}: ${describeError(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function signerOf(v: Record<string, string | boolean | undefined>): Extract<SignerPolicy, { kind: "certificate" }> {
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? v[k] : undefined);
  const identity = str("certificate-identity");
  const pattern = str("certificate-identity-regexp");
  const issuer = str("certificate-oidc-issuer");
  if (identity !== undefined && pattern !== undefined) throw new UsageError("expected one of --certificate-identity and --certificate-identity-regexp, not both");
  if (identity === undefined && pattern === undefined) throw new UsageError("expected the signer: --certificate-identity ID (or --certificate-identity-regexp ^RE$)");
  if (issuer === undefined) throw new UsageError("expected --certificate-oidc-issuer URL with the certificate identity");
  return pattern !== undefined ? { kind: "certificate", identityPattern: pattern, issuer } : { kind: "certificate", identity: identity!, issuer };
}

const OPTIONS = {
  "commit-file": { type: "string" },
  repo: { type: "string" },
  sha: { type: "string" },
  "api-url": { type: "string" },
  "rekor-url": { type: "string" },
  "certificate-identity": { type: "string" },
  "certificate-identity-regexp": { type: "string" },
  "certificate-oidc-issuer": { type: "string" },
  "trusted-root": { type: "string" },
} as const;

const SPEC = { name: "verify-commit", usage: USAGE, options: OPTIONS };

/** What --repo/--sha need besides the console: the environment (GITHUB_TOKEN, GITHUB_API_URL) and fetch. */
export interface VerifyCommitIo extends Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
}

type Source = { kind: "file"; path: string } | { kind: "github"; repository: string; sha: string; api: string };

function sourceOf(v: Record<string, string | boolean | undefined>, env: VerifyCommitIo["env"]): Source {
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? v[k] : undefined);
  const [file, repo, sha, apiFlag] = [str("commit-file"), str("repo"), str("sha"), str("api-url")];
  if (file !== undefined) {
    if (repo !== undefined || sha !== undefined || apiFlag !== undefined) throw new UsageError("expected either --commit-file or --repo with --sha, not both");
    return { kind: "file", path: file };
  }
  if (repo === undefined && sha === undefined) throw new UsageError("expected --commit-file RAW_COMMIT (the output of git cat-file commit SHA), or --repo OWNER/REPO --sha SHA");
  if (repo === undefined || !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(repo)) throw new UsageError("expected --repo OWNER/REPO with --sha");
  if (sha === undefined || !/^[0-9a-fA-F]{40}$/.test(sha)) throw new UsageError("expected --sha as a full 40-hex commit id (git rev-parse HEAD), not a branch or a short id");
  const api = apiFlag ?? env.GITHUB_API_URL ?? "https://api.github.com";
  const problem = apiUrlProblem(api);
  if (problem !== undefined) throw new UsageError(problem);
  return { kind: "github", repository: repo, sha: sha.toLowerCase(), api };
}

/** The raw commit and its git id (the verdict names it: for --sha it is the asked id, rebuilt byte for byte). */
async function commitOf(source: Source, io: VerifyCommitIo): Promise<{ commit: Buffer; sha: string }> {
  if (source.kind === "file") {
    const commit = readCommit(source.path);
    return { commit, sha: createHash("sha1").update(`commit ${commit.length}\0`).update(commit).digest("hex") };
  }
  const got = await readCommitSignature({ api: source.api, token: io.env.GITHUB_TOKEN || undefined, repository: source.repository, sha: source.sha, fetch: io.fetch });
  if (got.signed === "mismatch") throw new CliFailure("COMMIT_MISMATCH", got.message, EXIT_FAILED, { verified: false });
  if (!got.signed) throw new CliFailure("COMMIT_UNSIGNED", `GitHub reports commit ${source.sha} of ${source.repository} as unsigned (${got.github.reason})`, EXIT_FAILED, { verified: false });
  return { commit: got.raw, sha: source.sha };
}

export function verifyCommitCommand(args: string[], io: Partial<VerifyCommitIo> = {}): Promise<number> {
  const full: VerifyCommitIo = { ...consoleIo(), env: process.env, fetch: globalThis.fetch, ...io };
  return runCommand(SPEC, args, full, async ({ values, json, emit }) => {
    // The commit's signature may be sent to --rekor-url: https only (loopback http for local tests), refused up front
    // whether or not this commit needs it.
    const rekorUrl = values["rekor-url"];
    const rekorProblem = rekorUrl === undefined ? undefined : secureUrlProblem(rekorUrl, "Rekor");
    if (rekorProblem !== undefined) throw new UsageError(`--rekor-url: ${rekorProblem}`);
    const source = sourceOf(values, full.env);
    const signer = signerOf(values);
    const { commit, sha } = await commitOf(source, full);
    const trust = commitTrustMaterial(values["trusted-root"] !== undefined ? loadRootFile(values["trusted-root"]) : loadPinnedRoot());
    let outcome = verifyGitsignCommit({ commit, signer, trust });
    // gitsign's online mode: only when asked, and only for a signature that is otherwise verified but embeds no entry
    if (rekorUrl !== undefined && !outcome.ok && outcome.code === "NO_SIGNED_TIME" && /no embedded Rekor entry/.test(outcome.message)) {
      const online = await lookupCommitEntries({ rekorUrl, commit, fetch: full.fetch });
      outcome = verifyGitsignCommit({ commit, signer, trust, online });
    }
    // a signer policy the caller got wrong (an unanchored pattern) is their usage error, not the commit's failure
    if (!outcome.ok && outcome.code === "POLICY_INVALID") throw new UsageError(outcome.message);
    if (!outcome.ok) throw new CliFailure(outcome.code, outcome.message, EXIT_FAILED, { verified: false });
    if (json) emit({ verified: true, sha, payloadSha256: outcome.payloadSha256, signer: outcome.signer, tlogEntry: outcome.tlogEntry });
    else full.out(`OK: ${sha} ${outcome.signer.identity} (${outcome.signer.issuer}), Rekor log index ${outcome.tlogEntry.logIndex} at ${outcome.tlogEntry.integratedTime}`);
    return EXIT_OK;
  });
}
