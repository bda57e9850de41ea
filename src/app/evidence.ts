// Verifies the provenance bundles found on a pull request: cryptographic validity (the chain to the trusted root, SCT,
// transparency log or timestamp, signature) for ANY certificate identity the trusted root certifies, and for the
// App's key-ring keys the repository's config names. Who may vouch for the pull request is the policy's to decide
// from each bundle's signer facts (lib.signer_matches). Each distinct bundle is verified once per evaluation, and
// the number verified is bounded.
import type { BundleVerifier, SignerPolicy } from "../adapters/sigstore/verifier.js";
import type { RepoConfig } from "../config/repo-config.js";
import { sha256Hex } from "../core/digest.js";
import { AgentGateError } from "../core/errors.js";
import type { FoundBundle } from "../core/facts.js";
import type { StageObserver } from "./gate-types.js";
import type { CommitSignatureOutcome, FailedBundle } from "../core/pull-request-input.js";
import { failure, type VerificationFailure, type VerifiedBundle } from "../core/verification.js";

export interface Evidence {
  readonly verified: VerifiedBundle[];
  readonly failed: FailedBundle[];
  /**
   * Digests of verified bundles found only in strangers' comments: they may cover a commit (the policy ignores a
   * signer it does not allow) but never make a commit an agent's, or anyone could turn a human's commit into an
   * agent commit that needs provenance.
   */
  readonly fromStrangers?: ReadonlySet<string>;
  /** Each commit's own signature (app/commit-evidence.ts): tier signed-commit or platform, or why it is none. */
  readonly commitSignatures?: readonly CommitSignatureOutcome[];
}

/** Any certificate identity the trusted root certifies: the policy decides which signers count. */
const ANY_CERTIFICATE: SignerPolicy = { kind: "any-certificate" };

/**
 * What bundles are verified against: any certificate identity, and each key of the App's key ring that the
 * repository's signer entries name (keys are not certified by a root: only a named key can be checked). A named key
 * missing from the key ring is a config error.
 */
export function evidenceSigners(config: RepoConfig, repository: string, keyRing: ReadonlyMap<string, string>): { signers: SignerPolicy[]; problems: string[] } {
  const rules = config.rules.signers;
  const entries = Object.entries(rules.repositories).find(([name]) => name.toLowerCase() === repository.toLowerCase())?.[1] ?? rules.allowed;
  const signers: SignerPolicy[] = [ANY_CERTIFICATE];
  const problems: string[] = [];
  for (const e of entries) {
    if (!("key" in e)) continue;
    const pem = keyRing.get(e.key);
    if (pem) signers.push({ kind: "key", publicKeyPem: pem, keyHint: e.key });
    else problems.push(`rules.signers: key "${e.key}" is not in the App's trusted key ring`);
  }
  return { signers, problems };
}

/** Commits an unverified statement claims (never trusted: only to explain which commit a bad bundle was meant for). */
export function claimedCommits(json: string): string[] {
  try {
    const bundle = JSON.parse(json) as { dsseEnvelope?: { payload?: string } };
    const payload = bundle.dsseEnvelope?.payload;
    if (typeof payload !== "string") return [];
    const st = JSON.parse(Buffer.from(payload, "base64").toString("utf8")) as { subject?: { digest?: Record<string, unknown> }[] };
    return (st.subject ?? []).map((s) => s.digest?.gitCommit).filter((x): x is string => typeof x === "string" && /^[0-9a-f]{40}$/.test(x));
  } catch {
    return [];
  }
}

/**
 * Distinct bundles verified per evaluation at most: a pull request lists at most 250 commits and an agent attests
 * each once, so 256 leaves room; past it every further distinct bundle is a failure, never dropped and never a pass.
 */
export const MAX_BUNDLES_PER_EVALUATION = 256;

/**
 * Distinct bundles found only in strangers' comments verified per evaluation at most. Each is now verified in full
 * (any certified identity, not refused by name before any cryptography), and none can be needed: a stranger's signer
 * only ever draws a warning, and the agent's own bundle is posted where it is trusted. Past it, a failure each.
 */
export const MAX_STRANGER_BUNDLES_PER_EVALUATION = 32;

export interface EvidenceOptions {
  readonly maxBundles?: number; // default MAX_BUNDLES_PER_EVALUATION
  readonly maxStrangerBundles?: number; // default MAX_STRANGER_BUNDLES_PER_EVALUATION
}


/**
 * Verifies found bundles. Copies (same bytes) are verified once, a bundle is checked once for all signers (any
 * certified identity, the named keys), and at most maxBundles distinct bundles are verified.
 */
export class EvidenceVerifier {
  private readonly maxBundles: number;
  private readonly maxStrangerBundles: number;

  constructor(
    private readonly verifier: BundleVerifier,
    opts: EvidenceOptions = {},
  ) {
    this.maxBundles = opts.maxBundles ?? MAX_BUNDLES_PER_EVALUATION;
    this.maxStrangerBundles = opts.maxStrangerBundles ?? MAX_STRANGER_BUNDLES_PER_EVALUATION;
  }

  private verifyOne(json: string, signers: readonly SignerPolicy[]): VerifiedBundle | VerificationFailure {
    const subject = { kind: "in-toto-statement", subjectsBoundBy: "caller" } as const;
    if (this.verifier.verifyAny) return this.verifier.verifyAny({ bundle: json, subject, signers });
    // a BundleVerifier without verifyAny (a stand-in): one call per signer
    const failures: VerificationFailure[] = [];
    for (const signer of signers) {
      const outcome = this.verifier.verify({ bundle: json, subject, signer });
      if (outcome.ok) return outcome;
      failures.push(outcome);
    }
    // Report the most specific failure: a signer mismatch only when every signer was tried.
    const notSigner = failures.find((f) => f.code !== "IDENTITY_MISMATCH" && f.code !== "ISSUER_MISMATCH" && f.code !== "KEY_MISMATCH");
    if (notSigner) return notSigner;
    const first = failures[0]!;
    return failures.length === 1 ? first : failure(first.code, `${first.message} (none of the ${failures.length} signers matched)`);
  }

  /** One entry per distinct bundle (by the sha256 of its bytes), in the order first found. */
  verifyAll(bundles: readonly FoundBundle[], signers: readonly SignerPolicy[]): Evidence {
    const verified: VerifiedBundle[] = [];
    const failed: FailedBundle[] = [];
    // equal texts are found by the engine's string hash first: only distinct texts are hashed with SHA-256
    const texts = new Map<string, boolean>(); // text -> found only in strangers' comments
    for (const b of bundles) texts.set(b.json, (texts.get(b.json) ?? true) && b.fromStranger === true);
    const distinct = new Map<string, string>();
    const fromStrangers = new Set<string>();
    for (const [json, stranger] of texts) {
      const digest = sha256Hex(json);
      if (!distinct.has(digest)) {
        distinct.set(digest, json);
        if (stranger) fromStrangers.add(digest);
      } else if (!stranger) fromStrangers.delete(digest);
    }
    let n = 0;
    let strangers = 0;
    for (const [bundleDigest, json] of distinct) {
      n++;
      const overStrangers = fromStrangers.has(bundleDigest) && ++strangers > this.maxStrangerBundles;
      const outcome =
        n > this.maxBundles
          ? failure("VERIFICATION_BUDGET_EXCEEDED", `not verified: this pull request carries ${distinct.size} distinct provenance bundles and at most ${this.maxBundles} are verified per evaluation; remove the bundles that are not needed (duplicates count once)`)
          : overStrangers
            ? failure("VERIFICATION_BUDGET_EXCEEDED", `not verified: comments by people who cannot change this pull request carry more than ${this.maxStrangerBundles} distinct provenance bundles, and at most ${this.maxStrangerBundles} of theirs are verified per evaluation; post the agent's bundle in the description or as a maintainer`)
            : this.verifyOne(json, signers);
      if (outcome.ok) verified.push(outcome);
      else failed.push({ bundleDigest, failure: outcome, claimedCommits: claimedCommits(json) });
    }
    return { verified, failed, fromStrangers };
  }
}

/** The evidence found on a pull request, verified for any certified identity and the named keys (metrics observed). */
export function verifyEvidence(
  verifier: EvidenceVerifier,
  bundles: readonly FoundBundle[],
  config: RepoConfig,
  repository: string,
  keyRing: ReadonlyMap<string, string> = new Map(),
  observe?: StageObserver,
): Evidence {
  const { signers, problems } = evidenceSigners(config, repository, keyRing);
  if (problems.length > 0) throw new AgentGateError("CONFIG_INVALID", problems.join("; "));
  const started = performance.now();
  const evidence = verifier.verifyAll(bundles, signers);
  observe?.verification?.((performance.now() - started) / 1000, bundles.length === 0 ? "none" : evidence.failed.length > 0 ? "some-failed" : "verified");
  return evidence;
}
