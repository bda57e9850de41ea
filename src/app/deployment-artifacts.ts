// The deployment gate's artifacts: which digests a deployment names (payload and environment config), and each one's
// attestations listed, read and verified. The work is bounded on outsider input: at most MAX_DEPLOYMENT_ARTIFACTS
// digests, at most MAX_DEPLOYMENT_ATTESTATIONS attestations in all (MAX_ATTESTATIONS of one), and it stops when the
// evaluation's signal aborts (the deployment was already answered, e.g. at its deadline).
import { signerFacts } from "../core/signer-facts.js";
import type { GitHubFacts } from "../adapters/github/facts-port.js";
import { MAX_ATTESTATIONS, type AttestationSourceOptions } from "../adapters/github/deployment-protection.js";
import type { BundleVerifier, SignerPolicy } from "../adapters/sigstore/verifier.js";
import type { RepoConfig } from "../config/repo-config.js";
import { AgentGateError } from "../core/errors.js";
import type { DeploymentInput } from "../core/policy-input.js";
import type { VerificationOutcome } from "../core/verification.js";

export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The most distinct artifact digests one deployment may name (the payload's and the environment's together). */
export const MAX_DEPLOYMENT_ARTIFACTS = 20;
/** The most attestations read and verified for one deployment, all its artifacts together (MAX_ATTESTATIONS of one). */
export const MAX_DEPLOYMENT_ATTESTATIONS = 100;

type EnvironmentSettings = RepoConfig["deployments"]["default"];
type Attestation = DeploymentInput["artifacts"][number]["attestations"][number];

/**
 * The artifact digests to verify: named in the deployment payload (`artifacts`) and by the environment's config.
 * More than MAX_DEPLOYMENT_ARTIFACTS distinct ones reject (TOO_MANY_ARTIFACTS) before any is looked up.
 */
export function artifactDigests(payload: Record<string, unknown>, env: EnvironmentSettings): string[] {
  const named: unknown[] = Array.isArray(payload.artifacts) ? payload.artifacts : payload.artifacts === undefined ? [] : [payload.artifacts];
  const digests: string[] = [];
  for (const a of named) {
    const d = typeof a === "string" ? a : typeof a === "object" && a !== null ? (a as { digest?: unknown }).digest : undefined;
    if (typeof d !== "string" || !DIGEST.test(d)) throw new AgentGateError("DEPLOYMENT_PAYLOAD_INVALID", `the deployment payload names an artifact that is not a digest sha256:<64 hex>: ${JSON.stringify(a).slice(0, 80)}`);
    digests.push(d);
  }
  const all = [...new Set([...digests, ...env.artifacts])];
  if (all.length > MAX_DEPLOYMENT_ARTIFACTS) {
    const fromPayload = new Set(digests).size;
    throw new AgentGateError("TOO_MANY_ARTIFACTS", `the deployment names ${all.length} distinct artifact digests (${fromPayload} in its payload's artifacts, ${env.artifacts.length} in the environment's config); agent-gate verifies at most ${MAX_DEPLOYMENT_ARTIFACTS} for one deployment, so none was looked up and the deployment is rejected`);
  }
  return all;
}

/**
 * What the environment's attestations are verified against: with signers listed, any certified identity (the policy's
 * _signer_ok matches each signer's facts against the list), else its builders as GitHub Actions workflows.
 */
export function attestationSigners(env: EnvironmentSettings): SignerPolicy[] {
  if (env.signers.length > 0) return [{ kind: "any-certificate" }];
  return env.builders.map((b) => ({ kind: "certificate", identity: b, issuer: GITHUB_ACTIONS_ISSUER }));
}

/** The builder id a SLSA provenance predicate names (v1: runDetails.builder.id; v0.2: builder.id). */
export function builderId(predicate: unknown): string | undefined {
  const p = predicate as { runDetails?: { builder?: { id?: unknown } }; builder?: { id?: unknown } } | null | undefined;
  const id = p?.runDetails?.builder?.id ?? p?.builder?.id;
  return typeof id === "string" ? id : undefined;
}

function attestationOf(outcome: VerificationOutcome): Attestation {
  if (!outcome.ok) return { verified: false, failure_code: outcome.code, signer: {} };
  const st = outcome.statement;
  const builder = builderId(st?.predicate);
  return {
    verified: st !== undefined,
    ...(st ? {} : { failure_code: "STATEMENT_INVALID" }),
    ...(st ? { predicate_type: st.predicateType } : {}),
    ...(builder ? { builder_id: builder } : {}),
    signer: signerFacts(outcome.signer),
    ...sourceRepository(outcome.signer.extensions["sourceRepositoryURI"]),
  };
}

/** OWNER/REPO from the certificate's source-repository extension (https://github.com/OWNER/REPO), if it names one. */
function sourceRepository(uri: string | undefined): { source_repository?: string } {
  const m = uri === undefined ? null : /^https:\/\/github\.com\/([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/.exec(uri);
  return m ? { source_repository: `${m[1]}/${m[2]}` } : {};
}

/** Verifies one bundle against each allowed signer; the most specific failure is kept. */
function verifyAttestation(verifier: BundleVerifier, bundle: unknown, digest: string, signers: readonly SignerPolicy[]): { attestation: Attestation; message?: string } {
  if (signers.length === 0) return { attestation: { verified: false, failure_code: "IDENTITY_MISMATCH", signer: {} }, message: "no builder or signer is trusted for this environment (deployments.*.builders / signers)" };
  let kept: VerificationOutcome | undefined;
  for (const signer of signers) {
    const outcome = verifier.verify({ bundle, subject: { kind: "digest", algorithm: "sha256", hex: digest.slice("sha256:".length) }, signer });
    if (outcome.ok) return { attestation: attestationOf(outcome) };
    const signerOnly = outcome.code === "IDENTITY_MISMATCH" || outcome.code === "ISSUER_MISMATCH";
    if (!kept || (!signerOnly && (kept.ok || kept.code === "IDENTITY_MISMATCH" || kept.code === "ISSUER_MISMATCH"))) kept = outcome;
  }
  const k = kept!;
  return { attestation: attestationOf(k), ...(k.ok ? {} : { message: k.message }) };
}

export const short = (d: string): string => d.slice(0, 19);

function tooManyInAll(digest: string, before: number, listed: string): AgentGateError {
  return new AgentGateError("TOO_MANY_ATTESTATIONS", `the deployment's artifacts have more than ${MAX_DEPLOYMENT_ATTESTATIONS} attestations in all (${before} of the artifacts before ${short(digest)}, then ${listed} of it); agent-gate verifies at most ${MAX_DEPLOYMENT_ATTESTATIONS} for one deployment and judges none on part of them`);
}

export interface ArtifactsContext {
  readonly github: GitHubFacts;
  readonly owner: string;
  readonly repo: string;
  readonly verifier: BundleVerifier;
  readonly signers: readonly SignerPolicy[];
  readonly bundleFetch?: typeof globalThis.fetch;
  /** Aborted once the deployment is answered: no further request, download or verification is started. */
  readonly signal: AbortSignal;
  /** Each attestation that failed, and each artifact without one, as a reason for the comment. */
  readonly failures: string[];
}

/** Each digest's attestations, listed, read and verified, in order; at most MAX_DEPLOYMENT_ATTESTATIONS in all. */
export async function verifyArtifacts(ctx: ArtifactsContext, digests: readonly string[]): Promise<DeploymentInput["artifacts"]> {
  const { github, owner, repo, signal, failures } = ctx;
  const artifacts: DeploymentInput["artifacts"] = [];
  let read = 0;
  for (const digest of digests) {
    signal.throwIfAborted();
    const left = MAX_DEPLOYMENT_ATTESTATIONS - read;
    const source: AttestationSourceOptions = { ...(ctx.bundleFetch ? { fetch: ctx.bundleFetch } : {}), maxAttestations: Math.min(MAX_ATTESTATIONS, left), signal };
    let fetched;
    try {
      fetched = await github.attestations(owner, repo, digest, source);
    } catch (err) {
      // The adapter's cap was this deployment's remaining budget, not the per-artifact one its message names.
      if (err instanceof AgentGateError && err.code === "TOO_MANY_ATTESTATIONS" && left < MAX_ATTESTATIONS) throw tooManyInAll(digest, read, `more than ${left}`);
      throw err;
    }
    signal.throwIfAborted();
    if (fetched.length > left) throw tooManyInAll(digest, read, String(fetched.length));
    read += fetched.length;
    const attestations: Attestation[] = [];
    for (const one of fetched) {
      signal.throwIfAborted();
      if (one.bundle === undefined) {
        attestations.push({ verified: false, failure_code: "BUNDLE_MALFORMED", signer: {} });
        failures.push(`artifact ${short(digest)}: BUNDLE_MALFORMED: ${one.problem ?? "unreadable"}`);
        continue;
      }
      const { attestation, message } = verifyAttestation(ctx.verifier, one.bundle, digest, ctx.signers);
      attestations.push(attestation);
      if (!attestation.verified) failures.push(`artifact ${short(digest)}: ${attestation.failure_code ?? "UNVERIFIED"}${message ? `: ${message}` : ""}`);
    }
    if (attestations.length === 0) failures.push(`artifact ${short(digest)}: no attestation found (unsigned)`);
    artifacts.push({ digest, attestations });
  }
  return artifacts;
}
