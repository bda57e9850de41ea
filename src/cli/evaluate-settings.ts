// What `agent-gate evaluate --repo` judges with: the App's own settings, read from the same variables and validated
// the same way (src/config/env.ts, src/config/server-files.ts), with the same errors (ENV_INVALID naming each bad
// one): the policy bundle (AGENT_GATE_POLICY_BUNDLE pinned by AGENT_GATE_POLICY_SHA256, else the built-in one), the
// trusted roots (AGENT_GATE_TRUSTED_ROOT, AGENT_GATE_TRUSTED_ROOTS) and the key ring (AGENT_GATE_TRUSTED_KEYS).
// `--trusted-root` flags, when given, are the roots instead, resolved as `verify-bundle` and `attest` resolve them
// (`github`, `public-good`: the pinned roots by name). Without any: the pinned public-good root, as the App's default.
import { readEnv } from "../config/env.js";
import { loadServerFiles } from "../config/server-files.js";
import { loadPinnedRoot } from "../adapters/sigstore/trusted-root.js";
import { createVerifier, type BundleVerifier } from "../adapters/sigstore/verifier.js";
import type { PolicyBundle } from "../adapters/opa/engine.js";
import { verifierForRoots } from "./trusted-roots.js";

export interface EvaluateSettings {
  readonly verifier: BundleVerifier;
  readonly keyRing: ReadonlyMap<string, string>;
  readonly bundle: PolicyBundle;
}

export async function evaluateSettings(rootFlags: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<EvaluateSettings> {
  const appEnv = readEnv(env);
  // The TUF root is the App's online refresh only (AGENT_GATE_TUF_*): a command judges with the root it is given.
  const { trustedRoot, additionalRoots, keyRing, bundle } = await loadServerFiles(appEnv, {});
  const verifier =
    rootFlags.length > 0
      ? verifierForRoots(rootFlags)
      : createVerifier({ trustedRoot: trustedRoot ?? loadPinnedRoot(), ...(additionalRoots.length > 0 ? { additionalRoots } : {}) });
  return { verifier, keyRing, bundle };
}
