// Self-signed bundles for benchmarks: one keyless message signature and one DSSE in-toto attestation over the
// same artifact, with the trusted root and signer policy that verify them.
import { Buffer } from "node:buffer";
import type { SignerPolicy } from "../../../src/adapters/sigstore/verifier.js";
import { sha256 } from "./content.js";
import { createTestSigstore, DEFAULT_IDENTITY, DEFAULT_ISSUER } from "./index.js";
import type { BundleJson, TrustedRootJson } from "./index.js";

export interface BenchBundles {
  readonly trustedRoot: TrustedRootJson;
  readonly messageBundle: BundleJson;
  readonly dsseBundle: BundleJson;
  readonly artifact: Uint8Array;
  readonly signer: SignerPolicy;
}

/** Async because certificates and timestamps are made with WebCrypto; call once per benchmark run. */
export async function makeBenchBundles(opts: { rekor?: "v1" | "v2"; artifactBytes?: number } = {}): Promise<BenchBundles> {
  const world = await createTestSigstore();
  const artifact = Buffer.alloc(opts.artifactBytes ?? 4096, "agent-gate bench artifact\n");
  const rekor = opts.rekor ?? "v1";
  const message = await world.sign({ payload: { kind: "message", artifact }, rekor });
  const dsse = await world.sign({
    payload: {
      kind: "dsse",
      statement: {
        subjects: [{ name: "bench-artifact", digest: { sha256: sha256(artifact).toString("hex") } }],
        predicateType: "https://slsa.dev/provenance/v1",
        predicate: { buildDefinition: { buildType: "https://agent-gate.dev/agent-run/v1", externalParameters: {} }, runDetails: { builder: { id: DEFAULT_IDENTITY } } },
      },
    },
    rekor,
  });
  return {
    trustedRoot: world.trustedRoot,
    messageBundle: message.bundle,
    dsseBundle: dsse.bundle,
    artifact,
    signer: { kind: "certificate", identity: DEFAULT_IDENTITY, issuer: DEFAULT_ISSUER },
  };
}
