// Builds the gate from its parts: trusted root -> verifier, policy bundle -> engine. Used by the App server,
// the demo, the `evaluate` command and the tests, so all of them run the same code. Every evaluation has a deadline.
import { createVerifier, type BundleVerifier } from "../adapters/sigstore/verifier.js";
import { PolicyEngine, type PolicyBundle } from "../adapters/opa/engine.js";
import { builtinBundle } from "../adapters/opa/bundle-source.js";
import { PolicyPool, type PolicyEvaluator } from "../adapters/opa/pool.js";
import { readPolicyDeadline } from "../config/server-env.js";
import { loadPinnedRoot } from "../adapters/sigstore/trusted-root.js";
import { PullRequestGate, type PullRequestGateOptions } from "./pull-request-gate.js";
import { DeploymentGate, type DeploymentGateOptions } from "./deployment-gate.js";

export interface ComposeOptions extends Partial<Omit<PullRequestGateOptions, "verifier" | "engine">> {
  /** A linted trusted_root.json; default: the pinned public-good production root. */
  readonly trustedRoot?: unknown;
  /** A verifier in place of one built from `trustedRoot` (the App's, whose root is refreshed while it runs). */
  readonly verifier?: BundleVerifier;
  /** The policy bundle; default: the built-in bundle compiled from policies/rego. */
  readonly bundle?: PolicyBundle;
  /** An evaluator already loaded (e.g. a PolicyPool shared by both gates); default: a PolicyEngine over `bundle`,
   *  with the deadline of AGENT_GATE_POLICY_DEADLINE_MS (refused past it, as the App's pool would). */
  readonly engine?: PolicyEvaluator;
}

export interface EvaluatorOptions {
  /** Worker threads; 0: on the calling thread, where an evaluation past its deadline cannot be stopped, only refused. */
  readonly threads: number;
  /** Milliseconds one evaluation may run; default DEFAULT_POLICY_DEADLINE_MS. */
  readonly deadlineMs?: number;
}

/** The App's evaluator for both gates: a pool of worker threads whose evaluations are stopped at their deadline. */
export async function policyEvaluator(bundle: PolicyBundle, opts: EvaluatorOptions): Promise<PolicyEvaluator> {
  const deadline = opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs };
  return opts.threads > 0 ? PolicyPool.start(bundle, { threads: opts.threads, ...deadline }) : PolicyEngine.load(bundle, deadline);
}

const defaultEngine = (bundle: PolicyBundle | undefined): Promise<PolicyEngine> => PolicyEngine.load(bundle ?? builtinBundle(), { deadlineMs: readPolicyDeadline() });

export async function composeGate(opts: ComposeOptions = {}): Promise<PullRequestGate> {
  const verifier = opts.verifier ?? createVerifier({ trustedRoot: opts.trustedRoot ?? loadPinnedRoot() });
  const engine = opts.engine ?? (await defaultEngine(opts.bundle));
  return new PullRequestGate({ ...opts, verifier, engine });
}

export interface DeploymentComposeOptions extends Partial<Omit<DeploymentGateOptions, "verifier" | "engine">> {
  readonly trustedRoot?: unknown;
  readonly verifier?: BundleVerifier;
  readonly bundle?: PolicyBundle;
  readonly engine?: PolicyEvaluator;
}

/** The deployment gate from the same parts: trusted root -> verifier, policy bundle -> engine. */
export async function composeDeploymentGate(opts: DeploymentComposeOptions = {}): Promise<DeploymentGate> {
  const verifier = opts.verifier ?? createVerifier({ trustedRoot: opts.trustedRoot ?? loadPinnedRoot() });
  const engine = opts.engine ?? (await defaultEngine(opts.bundle));
  return new DeploymentGate({ ...opts, verifier, engine });
}
