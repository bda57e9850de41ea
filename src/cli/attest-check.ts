// What `agent-gate attest` checks so that it never reports "signed" for provenance the PR gate would refuse.
// Before signing: flag combinations that have no effect or can give no verifiable bundle are usage errors, the
// repository must be OWNER/REPO as the gate reads subject names, and an included prompt must fit the gate's cap.
// After signing, before anything is written or published: the bundle, read back from its PR-body block as the gate
// reads it, is verified by the gate's verifier (same thresholds, the same trusted roots; the gate's signers: any
// certified identity, or the signing key) and bound by the gate's binding to the commits it was signed for.
import { AgentGateError } from "../core/errors.js";
import { PROMPT_TEXT_MAX, bindProvenance, parseRepositoryName } from "../core/binding.js";
import { extractProvenanceBlocks } from "../core/provenance-block.js";
import type { SignerSummary, VerifiedBundle } from "../core/verification.js";
import type { BundleVerifier, SignerPolicy } from "../adapters/sigstore/verifier.js";
import type { Attestation } from "../app/attest.js";
import { UsageError } from "./args.js";

/** The flags that decide where a bundle is logged and timestamped, as given. */
export interface SigningFlags {
  readonly key?: string | undefined;
  readonly "fulcio-url"?: string | undefined;
  readonly "rekor-url"?: string | undefined;
  readonly "rekor-version"?: string | undefined;
  readonly "tsa-url"?: string | undefined;
  readonly "trusted-root"?: readonly string[] | undefined;
  readonly publish?: string | undefined;
  readonly pr?: string | undefined;
}

/** Refuses flags that would change nothing, and combinations that can never give a bundle with a signed time. */
export function checkSigningFlags(v: SigningFlags, rekorVersion: 1 | 2): void {
  if (v["rekor-version"] !== undefined && v["rekor-url"] === undefined) {
    throw new UsageError(
      v.key !== undefined
        ? "--rekor-version has no effect without --rekor-url: with --key nothing is logged unless --rekor-url names the log"
        : "--rekor-version needs --rekor-url: keyless signing logs to the public-good Rekor v1 unless --rekor-url names another log",
    );
  }
  if (rekorVersion === 2 && v["tsa-url"] === undefined) {
    throw new UsageError("a Rekor v2 entry carries no signed time: give --tsa-url with --rekor-version 2");
  }
  if (v.key !== undefined && v["fulcio-url"] !== undefined) throw new UsageError("--fulcio-url has no effect with --key: Fulcio certifies keyless signing only");
  if (v.pr !== undefined && v.publish === undefined) throw new UsageError("--pr has no effect without --publish pr");
}

/** The repository as the gate reads a subject's name: exactly OWNER/REPO (no URL, no @ref, no .git). */
export function checkRepository(repository: string | undefined): string {
  const parsed = repository !== undefined ? parseRepositoryName(repository) : undefined;
  if (repository === undefined || parsed === undefined || parsed.repository !== repository.toLowerCase()) {
    throw new UsageError(
      `expected --repo OWNER/REPO (or GITHUB_REPOSITORY): a GitHub owner (letters, digits, '-', at most 39) and repository name (letters, digits, '.', '_', '-', at most 100), got ${JSON.stringify((repository ?? "").slice(0, 200))}`,
    );
  }
  return repository;
}

/** An included prompt longer than the gate's cap is refused by the gate (PROMPT_TOO_LARGE): refused here first. */
export function checkIncludedPrompt(path: string, text: string, include: boolean): void {
  if (include && text.length > PROMPT_TEXT_MAX) {
    throw new UsageError(
      `--include-prompt: ${path} has ${text.length} characters; an included prompt is at most ${PROMPT_TEXT_MAX} (GitHub's cap on the text a prompt comes from; the gate refuses longer ones with PROMPT_TOO_LARGE). Drop --include-prompt to record its sha256 only`,
    );
  }
}

export interface SelfCheck {
  readonly verifier: BundleVerifier;
  /** The gate's signers for this bundle: any certified identity (keyless), or the signing key. */
  readonly signers: readonly SignerPolicy[];
  readonly verified: VerifiedBundle;
}

const IN_TOTO = { kind: "in-toto-statement", subjectsBoundBy: "caller" } as const;

/** Verifies a bundle as the gate does (verifyAny with the gate's signers), with the caller's verifier. */
export function verifyAsGate(verifier: BundleVerifier, signers: readonly SignerPolicy[], json: string): ReturnType<BundleVerifier["verify"]> {
  return verifier.verifyAny ? verifier.verifyAny({ bundle: json, subject: IN_TOTO, signers }) : verifier.verify({ bundle: json, subject: IN_TOTO, signer: signers[0]! });
}

function refuse(what: string, hint: string | undefined): never {
  throw new AgentGateError("ATTESTATION_UNVERIFIABLE", `the PR gate would refuse this bundle, so it is neither written nor published: ${hint !== undefined ? `${hint} (${what})` : what}`);
}

/** Why a verification failed, in the flags' terms, when the flags explain it. */
function hintFor(code: string, v: SigningFlags): string | undefined {
  const custom = v["fulcio-url"] !== undefined || v["rekor-url"] !== undefined || v["tsa-url"] !== undefined;
  if (v.key !== undefined && v["rekor-url"] === undefined && (code === "NO_SIGNED_TIME" || code.startsWith("TLOG_"))) {
    return "a key-signed bundle needs --rekor-url: nothing was logged, and the gate requires a verified transparency log entry";
  }
  if (custom && (v["trusted-root"] ?? []).length === 0 && /^(CERTIFICATE_|TLOG_|TIMESTAMP_|NO_SIGNED_TIME)/.test(code)) {
    return "it was checked against the pinned public-good trusted root; for a private Sigstore deployment give its --trusted-root (the gate must trust the same root)";
  }
  return undefined;
}

/**
 * The gate's view of the bundle just signed: read back from its block, verified, and bound to `commits` of
 * `repository` (OWNER/REPO). Throws ATTESTATION_UNVERIFIABLE naming what is missing; returns the verification.
 */
export function checkAttestation(
  a: Attestation,
  check: { readonly verifier: BundleVerifier; readonly signers: readonly SignerPolicy[]; readonly flags: SigningFlags },
  repository: string,
  commits: readonly { readonly sha: string; readonly tree: string }[],
): SelfCheck {
  const read = extractProvenanceBlocks(a.block, { kind: "pr-body" });
  if (read.bundles.length !== 1 || read.bundles[0]!.json !== a.bundleJson) {
    refuse(`its provenance block does not read back as the bundle: ${read.problems.map((p) => p.message).join("; ") || `${read.bundles.length} bundles`}`, undefined);
  }
  const outcome = verifyAsGate(check.verifier, check.signers, read.bundles[0]!.json);
  if (!outcome.ok) refuse(`${outcome.code}: ${outcome.message}`, hintFor(outcome.code, check.flags));
  const [owner, name] = repository.split("/") as [string, string];
  const bound = bindProvenance({ repository: { owner, name, id: 0 }, commits: commits.map((c) => ({ sha: c.sha, treeSha: c.tree })), bundles: [outcome] });
  const uncovered = bound.commits.filter((c) => !c.covered);
  if (uncovered.length > 0) {
    const why = uncovered.slice(0, 3).map((c) => `commit ${c.sha.slice(0, 7)}: ${c.rejected.map((r) => `${r.code}: ${r.message}`).join("; ") || "not covered"}`);
    refuse(`${uncovered.length} of ${commits.length} signed commit(s) would not be covered: ${why.join("; ")}${uncovered.length > 3 ? "; ..." : ""}`, undefined);
  }
  return { verifier: check.verifier, signers: check.signers, verified: outcome };
}

/** The same signer, as the gate's verdicts name it: the same key, or the same identity and issuer from the same root. */
export function sameSigner(a: SignerSummary, b: SignerSummary): boolean {
  if (a.type !== b.type || a.root !== b.root) return false;
  return a.type === "key" ? a.keyHint === b.keyHint : a.identity === b.identity && a.issuer === b.issuer;
}
