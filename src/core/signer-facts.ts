// A verified signer as the policy sees it: who the certificate (or key) names, with the GitHub Actions facts the
// signer rules match on (lib.signer_matches) read out of the certificate. Facts only: which signer may vouch for
// what is decided in Rego. Every attestation tier (a bundle, a signed commit, a platform signature) uses this shape.
import type { SignerSummary } from "./verification.js";

/** The signing workflow a GitHub Actions certificate names: https://github.com/OWNER/REPO/.github/workflows/FILE@REF. */
export interface WorkflowFacts {
  readonly owner: string;
  readonly name: string;
  readonly repository: string; // OWNER/REPO as the certificate spells it
  readonly path: string; // e.g. .github/workflows/agent.yml
  readonly ref: string; // e.g. refs/heads/main
}

export interface SignerFacts {
  readonly type: "certificate" | "key";
  readonly identity?: string;
  readonly issuer?: string;
  readonly key_hint?: string;
  readonly certificate_fingerprint?: string;
  readonly certificate_tbs_fingerprint?: string;
  readonly extensions: Readonly<Record<string, string>>;
  readonly workflow?: WorkflowFacts;
  readonly source_repository?: string;
  readonly source_ref?: string;
  readonly runner?: string;
}

const GITHUB = "https://github.com/";
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
/** Longest identity read for workflow facts; a SAN is a URL of a few hundred characters at most. */
const MAX_IDENTITY = 2048;

/** A workflow file as GitHub runs one: directly in .github/workflows/, a .yml or .yaml name without "/" or "@". */
const WORKFLOW_PATH = /^\.github\/workflows\/[^/@\s\p{Cc}]+\.ya?ml$/u;
/** The ref GitHub writes after the path: refs/... (heads, tags, pull) or a commit SHA (a reusable workflow pinned by one). */
const WORKFLOW_REF = /^(?:refs\/[\x21-\x7e]+|[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The workflow a certificate identity names, when it is exactly a GitHub workflow URL
 * https://github.com/OWNER/REPO/.github/workflows/FILE@REF (the job_workflow_ref GitHub puts in the SAN). A file
 * name holds no "@", so the ref is everything after the first "@" that follows the path: a ref may itself contain
 * "@" (`refs/heads/dev@refs/heads/main` is a valid branch name, and stays that branch). Anything that does not
 * parse exactly (another host, another path, no ref, control characters or spaces) names no workflow and no ref,
 * so no entry restricting owner, repository, workflow or refs matches it. The policy reads these facts only.
 */
export function workflowOf(identity: string | undefined): WorkflowFacts | undefined {
  if (identity === undefined || identity.length > MAX_IDENTITY || !identity.startsWith(GITHUB)) return undefined;
  const rest = identity.slice(GITHUB.length);
  const at = rest.indexOf("@");
  if (at < 0) return undefined;
  const [owner, name, ...segments] = rest.slice(0, at).split("/");
  const path = segments.join("/");
  const ref = rest.slice(at + 1);
  if (owner === undefined || name === undefined || !LOGIN.test(owner) || !REPO.test(name)) return undefined;
  if (!WORKFLOW_PATH.test(path) || !WORKFLOW_REF.test(ref)) return undefined;
  return { owner, name, repository: `${owner}/${name}`, path, ref };
}

/** OWNER/REPO from https://github.com/OWNER/REPO (the v2 extension) or OWNER/REPO (the deprecated v1 one). */
function repositoryOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const path = value.startsWith(GITHUB) ? value.slice(GITHUB.length) : value;
  const [owner, name, ...more] = path.split("/");
  return owner !== undefined && name !== undefined && more.length === 0 && LOGIN.test(owner) && REPO.test(name) ? `${owner}/${name}` : undefined;
}

/** The policy's view of a verified signer. */
export function signerFacts(s: SignerSummary): SignerFacts {
  const ext = s.extensions;
  const workflow = s.type === "certificate" ? workflowOf(s.identity) : undefined;
  const source = repositoryOf(ext["sourceRepositoryURI"] ?? ext["githubWorkflowRepository"]);
  const sourceRef = ext["sourceRepositoryRef"] ?? ext["githubWorkflowRef"];
  const runner = ext["runnerEnvironment"];
  return {
    type: s.type,
    ...(s.identity !== undefined ? { identity: s.identity } : {}),
    ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
    ...(s.keyHint !== undefined ? { key_hint: s.keyHint } : {}),
    ...(s.certificateFingerprint !== undefined ? { certificate_fingerprint: `sha256:${s.certificateFingerprint}` } : {}),
    ...(s.certificateTbsFingerprint !== undefined ? { certificate_tbs_fingerprint: `sha256:${s.certificateTbsFingerprint}` } : {}),
    extensions: { ...ext },
    ...(workflow ? { workflow } : {}),
    ...(source !== undefined ? { source_repository: source } : {}),
    ...(sourceRef !== undefined ? { source_ref: sourceRef } : {}),
    ...(runner !== undefined ? { runner } : {}),
  };
}
