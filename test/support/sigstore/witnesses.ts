// The tests' own Rekor v1 and TSA as @sigstore/sign witnesses, called in-process (no HTTP), for signStatement.
import { Buffer } from "node:buffer";
import { X509Certificate } from "node:crypto";
import type { TransparencyLogEntry } from "@sigstore/bundle";
import { TransparencyLogEntry as ProtoEntry } from "@sigstore/protobuf-specs";
import type { Witness } from "@sigstore/sign";
import type { SignedContent } from "./content.js";
import { rekorV1ProposedEntry } from "./rekor-requests.js";
import type { LogVerifier } from "./rekor-requests.js";
import type { TestSigstore } from "./index.js";

/** The library's signed content in the tests' own shape. */
function contentOf(content: Parameters<Witness["testify"]>[0]): SignedContent {
  if (content.$case === "messageSignature") {
    return { kind: "message", digest: Buffer.from(content.messageSignature.messageDigest.digest), signature: Buffer.from(content.messageSignature.signature) };
  }
  const env = content.dsseEnvelope;
  const sig = env.signatures[0]!;
  return { kind: "dsse", payloadType: env.payloadType, payload: Buffer.from(env.payload), signature: Buffer.from(sig.sig), keyid: sig.keyid };
}

const verifierOf = (pem: string): LogVerifier => (pem.includes("CERTIFICATE") ? { kind: "certificate", der: new X509Certificate(pem).raw } : { kind: "key", publicKeyPem: pem });

export function rekorV1Witness(world: TestSigstore): Witness {
  return {
    testify: (content, publicKey) => {
      const json = world.rekorV1.log(rekorV1ProposedEntry(contentOf(content), verifierOf(publicKey)), world.now);
      return Promise.resolve({ tlogEntries: [ProtoEntry.fromJSON(json) as TransparencyLogEntry] });
    },
  };
}

export function tsaWitness(world: TestSigstore): Witness {
  return {
    testify: async (content) => ({ rfc3161Timestamps: [{ signedTimestamp: await world.tsa.timestamp(contentOf(content).signature, world.now) }] }),
  };
}
