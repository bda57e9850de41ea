// The trusted roots a command verifies against, from its repeated `--trusted-root [NAME=]FILE | github | public-good`
// flags, named as the gate names them: NAME=FILE by NAME, a pinned root by its name, and a bare FILE by the pinned
// instance it shares a CA certificate with ("public-good", "github"), else "custom" (roots.ts defaultRootName).
// Without any flag: the pinned public-good root, the gate's default.
import { AgentGateError } from "../core/errors.js";
import { UsageError } from "./args.js";
import { loadPinnedRoot, loadRootFile, parseRootEntry } from "../adapters/sigstore/trusted-root.js";
import { createVerifier } from "../adapters/sigstore/verifier.js";
import type { CachingBundleVerifier, VerifierOptions } from "../adapters/sigstore/verifier.js";
import type { RootFacts } from "../adapters/sigstore/root-facts.js";

export const TRUSTED_ROOT_USAGE = `--trusted-root [NAME=]trusted_root.json | github | public-good, repeatable: a certificate is verified against the
root whose CA issued it, a key-signed bundle against the first root. A bare FILE is named as the gate names it
("public-good" or "github" when it holds that pinned root's CA, else "custom"). Default: the pinned public-good root.`;

/** One verifier over the listed roots; `opts` adds the verifier's other options (a verdict cache size). */
export function verifierForRoots(entries: readonly string[], facts?: RootFacts, opts: Omit<VerifierOptions, "trustedRoot" | "trustedRootName" | "additionalRoots"> = {}): CachingBundleVerifier {
  if (entries.length === 0) return createVerifier({ trustedRoot: loadPinnedRoot(facts), ...opts });
  // a bare FILE has no name of its own: "" here, named from its CA certificates when the verifier loads it
  const listed = entries.map((e) => parseRootEntry(e, ""));
  const roots = listed.map((e) => ({ ...(e.name !== "" ? { name: e.name } : {}), root: loadRootFile(e.path, facts) }));
  const [primary, ...more] = roots;
  try {
    return createVerifier({ trustedRoot: primary!.root, ...(primary!.name !== undefined ? { trustedRootName: primary!.name } : {}), additionalRoots: more, ...opts });
  } catch (e) {
    if (e instanceof AgentGateError && /two trusted roots are named/.test(e.message)) {
      throw new UsageError(`${e.message}: name each of several --trusted-root files with NAME=FILE`);
    }
    throw e;
  }
}
