// A pull request's signed commits as evidence: each commit's own signature, as GitHub returns it, becomes an
// attestation of tier "signed-commit" (a gitsign signature agent-gate verified: the signer's facts and the agent
// trailers under it) or "platform" (GitHub's own signature on a known agent account's commit), or a failure with
// its reason. Which tiers and signers count is the policy's to decide (tiers.rego, the signers rule).
import type { CommitVerification } from "../adapters/sigstore/gitsign.js";
import type { BundleVerifier } from "../adapters/sigstore/verifier.js";
import type { RepoConfig } from "../config/repo-config.js";
import { describeError } from "../core/errors.js";
import type { AgentAccount } from "../core/agents.js";
import type { GitHubSigningKey } from "../core/github-signature.js";
import type { CommitFacts } from "../core/facts.js";
import type { CommitSignatureOutcome as InputOutcome } from "../core/pull-request-input.js";
import { agentTrailers, commitMessage, payloadIsCommit, platformAgent, signatureKind, type EvidenceTier } from "../core/signed-commits.js";
import { signerFacts, type SignerFacts } from "../core/signer-facts.js";
import { agentDetectionFor } from "./evaluate-pull-request.js";
import type { Evidence } from "./evidence.js";

/** Verifies a gitsign signature over a commit payload against the trusted root (adapters/sigstore/gitsign.ts). */
export type CommitSignatureCheck = (req: { readonly payload: Buffer; readonly signature: string }) => CommitVerification;

/** A commit's own signature as the policy sees it: an attestation of that commit, or why it is none. */
export interface CommitSignatureAttestation {
  readonly tier: Extract<EvidenceTier, "signed-commit" | "platform">;
  readonly signer: SignerFacts | PlatformSigner;
  readonly agent?: { readonly name: string; readonly version?: string };
  readonly model?: { readonly id: string; readonly version?: string };
  readonly prompt?: { readonly digest: string; readonly contains_secrets: false; readonly text_present: false };
  readonly rekor_log_index?: string;
  readonly rekor_log_id?: string;
  /** The entry's leaf hash (its Rekor UUID without the tree id), so that a revocation by {uuid} names it. */
  readonly rekor_entry_uuid?: string;
  readonly integrated_time?: string;
}

/** The platform that signed (GitHub), naming the agent account the commit is attributed to. */
export interface PlatformSigner {
  readonly type: "platform";
  readonly identity: string; // the agent account's login
  readonly issuer: "https://github.com";
  readonly account: { readonly login: string; readonly id: number };
  readonly agent: string;
  readonly extensions: Readonly<Record<string, string>>;
}

export type CommitSignatureOutcome =
  | { readonly sha: string; readonly ok: true; readonly attestation: CommitSignatureAttestation }
  | { readonly sha: string; readonly ok: false; readonly tier: "signed-commit" | "platform"; readonly code: string; readonly message: string };

/**
 * The bytes of gitsign-signed commits (payload and signature) one evaluation verifies: a commit is a few KB and its
 * signature about 4 KB, so the 250 commits GitHub lists take about 2 MiB. Counted whether or not a verdict is cached
 * (the outcome never depends on what the verifier remembers); once a commit does not fit, it and every later gitsign
 * commit fail closed, unverified.
 */
export const MAX_COMMIT_SIGNATURE_BYTES = 4 * 1024 * 1024;

/**
 * The outcome of each commit's signature, in commit order; commits with no signature that could count (none, or a
 * person's GPG/SSH key) have none. `check` absent (a verifier that cannot verify commits): gitsign signatures fail.
 */
export function commitSignatures(commits: readonly CommitFacts[], check: CommitSignatureCheck | undefined, agentAccounts: readonly AgentAccount[], githubKeys?: readonly GitHubSigningKey[], maxBytes = MAX_COMMIT_SIGNATURE_BYTES): CommitSignatureOutcome[] {
  const out: CommitSignatureOutcome[] = [];
  let spent = 0;
  let exhausted = false;
  for (const c of commits) {
    const sig = c.gitSignature;
    if (!sig) continue;
    const fail = (code: string, message: string): CommitSignatureOutcome => ({ sha: c.sha, ok: false, tier: "signed-commit", code, message });
    if (sig.oversize !== undefined) {
      out.push(fail("SIGNATURE_TOO_LARGE", `the commit's signature is not read: ${sig.oversize}`));
      continue;
    }
    if (sig.signature === undefined) continue;
    const kind = signatureKind(sig.signature);
    if (kind === "pgp") {
      const platform = platformAgent({ sha: c.sha, ...(c.author.user ? { author: c.author.user } : {}), gitSignature: sig }, agentAccounts, githubKeys);
      if ("agent" in platform) out.push({ sha: c.sha, ok: true, attestation: platformAttestation(platform) });
      // GitHub's key on a commit it did not make itself (or its rotated key): the finding says why it is no evidence
      else if (platform.byGitHub) out.push({ sha: c.sha, ok: false, tier: "platform", code: "PLATFORM_REFUSED", message: platform.reason });
      continue; // a person's verified key is no agent evidence, and no failure either
    }
    if (kind !== "gitsign") continue;
    if (sig.payload === undefined) {
      out.push(fail("COMMIT_MALFORMED", "GitHub returned the signature without the signed payload"));
      continue;
    }
    const cost = Buffer.byteLength(sig.payload, "utf8") + Buffer.byteLength(sig.signature, "utf8");
    if (exhausted || spent + cost > maxBytes) {
      exhausted = true;
      out.push(fail("VERIFICATION_BUDGET_EXCEEDED", `not verified: this pull request's gitsign-signed commits hold more than ${maxBytes} bytes of payload and signature in all, and at most ${maxBytes} are verified per evaluation; this commit and every later one are left unverified`));
      continue;
    }
    spent += cost;
    if (!payloadIsCommit(c.sha, sig.payload, sig.signature)) {
      out.push(fail("CONTENT_MISMATCH", `the signed payload and signature GitHub returned are not commit ${c.sha.slice(0, 7)}`));
      continue;
    }
    if (!check) {
      out.push(fail("INTERNAL_ERROR", "this verifier cannot verify commit signatures"));
      continue;
    }
    let v: CommitVerification;
    try {
      v = check({ payload: Buffer.from(sig.payload, "utf8"), signature: sig.signature });
    } catch (e) {
      out.push(fail("INTERNAL_ERROR", `the commit's signature could not be verified: ${describeError(e)}`));
      continue;
    }
    if (!v.ok) {
      out.push(fail(v.code, v.message));
      continue;
    }
    const trailers = agentTrailers(commitMessage(sig.payload));
    if (!trailers.ok) {
      out.push(fail("TRAILERS_INVALID", `the signed commit's agent trailers cannot be read: ${trailers.message}`));
      continue;
    }
    const t = trailers.facts;
    out.push({
      sha: c.sha,
      ok: true,
      attestation: {
        tier: "signed-commit",
        signer: signerFacts({ type: "certificate", identity: v.signer.identity, issuer: v.signer.issuer, extensions: v.signer.extensions, certificateFingerprint: v.signer.certificateFingerprint, certificateTbsFingerprint: v.signer.certificateTbsFingerprint }),
        ...(t.agent ? { agent: t.agent } : {}),
        ...(t.model ? { model: t.model } : {}),
        ...(t.promptDigest !== undefined ? { prompt: { digest: t.promptDigest, contains_secrets: false, text_present: false } } : {}),
        rekor_log_index: v.tlogEntry.logIndex,
        ...(v.tlogEntry.logId ? { rekor_log_id: v.tlogEntry.logId } : {}),
        ...(v.tlogEntry.leafHash ? { rekor_entry_uuid: v.tlogEntry.leafHash } : {}),
        integrated_time: v.tlogEntry.integratedTime.replace(/\.\d{3}Z$/, "Z"),
      },
    });
  }
  return out;
}

function platformAttestation(p: { account: { login: string; id: number }; agent: string }): CommitSignatureAttestation {
  return { tier: "platform", signer: { type: "platform", identity: p.account.login, issuer: "https://github.com", account: p.account, agent: p.agent, extensions: {} } };
}

/** The verifier's commit check, when it has one (a stand-in verifier may not: gitsign signatures then fail). */
export function commitCheckOf(verifier: BundleVerifier): CommitSignatureCheck | undefined {
  return verifier.verifyCommit ? (req) => verifier.verifyCommit!(req) : undefined;
}

/** Every commit's own signature as evidence for the policy input (the pipeline's `Evidence.commitSignatures`). */
export function commitEvidence(commits: readonly CommitFacts[], verifier: BundleVerifier, agentAccounts: readonly AgentAccount[], githubKeys?: readonly GitHubSigningKey[]): InputOutcome[] {
  return commitSignatures(commits, commitCheckOf(verifier), agentAccounts, githubKeys);
}

/** Bundle evidence with every commit's own signature beside it, the agent accounts those of the repository's config. */
export function withCommitEvidence(evidence: Evidence, commits: readonly CommitFacts[], verifier: BundleVerifier, config: RepoConfig, githubKeys?: readonly GitHubSigningKey[]): Evidence {
  return { ...evidence, commitSignatures: commitEvidence(commits, verifier, agentDetectionFor(config).accounts, githubKeys) };
}
