// Runs one verification in a child process, so a test can bound its time: a synchronous verify() that hangs
// cannot be interrupted in-process. Input: a JSON file { trustedRoot, bundle, artifactBase64, signer }.
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy } from "../../../src/adapters/sigstore/verifier.js";

const input = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as { trustedRoot: unknown; bundle: unknown; artifactBase64: string; signer: SignerPolicy };
const out = createVerifier({ trustedRoot: input.trustedRoot, verdictCacheSize: 0 }).verify({
  bundle: input.bundle,
  subject: { kind: "artifact", bytes: Buffer.from(input.artifactBase64, "base64") },
  signer: input.signer,
});
process.stdout.write(JSON.stringify(out));
