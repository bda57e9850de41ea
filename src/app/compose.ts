// Builds the gate from its parts: trusted root -> verifier, policy bundle -> engine. Used by the App server,
// the demo, the `evaluate` command and the tests, so all of them run the same code.
import { createVerifier } from "../adapters/sigstore/verifier.js";
import { PolicyEngine, type PolicyBundle } from "../adapters/opa/engine.js";
import { builtinBundle } from "../adapters/opa/bundle-source.js";
import type { PolicyEvaluator } from "../adapters/opa/pool.js";
import { loadPinnedRoot } from "../adapters/sigstore/trusted-root.js";
import { PullRequestGate, type PullRequestGateOptions } from "./pull-request-gate.js";
import { DeploymentGate, type DeploymentGateOptions } from "./deployment-gate.js";

export interface ComposeOptions extends Partial<Omit<PullRequestGateOptions, "verifier" | "engine">> {
  /** A linted trusted_root.json; default: the pinned public-good production root. */
  readonly trustedRoot?: unknown;
  /** The policy bundle; default: the built-in bundle compiled from policies/rego. */
  readonly bundle?: PolicyBundle;
  /** An evaluator already loaded (e.g. a PolicyPool shared by both gates); default: a PolicyEngine over `bundle`. */
  readonly engine?: PolicyEvaluator;
}

export async function composeGate(opts: ComposeOptions = {}): Promise<PullRequestGate> {
  const verifier = createVerifier({ trustedRoot: opts.trustedRoot ?? loadPinnedRoot() });
  const engine = opts.engine ?? (await PolicyEngine.load(opts.bundle ?? builtinBundle()));
  return new PullRequestGate({ ...opts, verifier, engine });
}

export interface DeploymentComposeOptions extends Partial<Omit<DeploymentGateOptions, "verifier" | "engine">> {
  readonly trustedRoot?: unknown;
  readonly bundle?: PolicyBundle;
  readonly engine?: PolicyEvaluator;
}

/** The deployment gate from the same parts: trusted root -> verifier, policy bundle -> engine. */
export async function composeDeploymentGate(opts: DeploymentComposeOptions = {}): Promise<DeploymentGate> {
  const verifier = createVerifier({ trustedRoot: opts.trustedRoot ?? loadPinnedRoot() });
  const engine = opts.engine ?? (await PolicyEngine.load(opts.bundle ?? builtinBundle()));
  return new DeploymentGate({ ...opts, verifier, engine });
}
