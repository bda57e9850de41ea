// Checkpoint notes are read strictly before the library sees them (it matches signer names as regular expressions),
// and Rekor v2 DSSE entries logged as hashedrekord over the PAE are checked here (the library compares the payload).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TransparencyLogEntry } from "@sigstore/bundle";
import type { Envelope } from "@sigstore/protobuf-specs";
import { checkCheckpointShape, checkDsseHashedRekordV2 } from "../../../src/adapters/sigstore/tlog.js";

const NOTE = "rekor.sigstore.dev - 2605736670972794746\n75408393\nFnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=\n\n";
const SIG = "\u2014 rekor.sigstore.dev wNI9ajBFAiBTyiBM9WtyOTgohje6QZ5rFGJUdMq7Wk3A6oThE98SUgIhAMvxDwa7FyqRqg+YV3rdPPrfS23w19iK+piMSGVOmP5w\n";
const LOG = "https://rekor.sigstore.dev";

test("a checkpoint signed by its origin, the log's host, is accepted; a witness may cosign under a plain name", () => {
  assert.equal(checkCheckpointShape(NOTE + SIG, LOG), undefined);
  assert.equal(checkCheckpointShape(NOTE + SIG + "\u2014 witness.example.org/w1 AAAAAAAA\n", LOG), undefined);
});

const refused: [string, string, string, RegExp][] = [
  ["no blank line between note and signatures", NOTE.trimEnd() + "\n" + SIG, LOG, /not a signed note/],
  ["a signer name that is a catastrophic pattern", NOTE + SIG + "\u2014 (a+)+$ AAAAAAAA\n", LOG, /not a plain name/],
  ["garbage after the signatures", NOTE + SIG + "trailing words\n", LOG, /malformed checkpoint signature line/],
  ["no signature by the origin", NOTE + "\u2014 witness.example.org AAAAAAAA\n", LOG, /no signature by its origin rekor\.sigstore\.dev/],
  ["an origin that is not the vouching log", NOTE + SIG, "https://rekor.sigstage.dev", /origin rekor\.sigstore\.dev is not the log at https:\/\/rekor\.sigstage\.dev/],
  ["no trailing newline", (NOTE + SIG).trimEnd(), LOG, /not a signed note/],
];
for (const [what, envelope, log, reason] of refused) {
  test(`a checkpoint with ${what} is refused`, () => {
    assert.match(checkCheckpointShape(envelope, log) ?? "accepted", reason);
  });
}

// Rekor v2 may log a DSSE envelope as hashedrekord/0.0.2 over its PAE; @sigstore/verify 3.x compares the payload digest.

const env = { payloadType: "application/vnd.in-toto+json", payload: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'), signatures: [{ keyid: "", sig: Buffer.from("a signature") }] } as Envelope;
const pae = Buffer.concat([Buffer.from(`DSSEv1 ${env.payloadType.length} ${env.payloadType} ${env.payload.length} `), env.payload]);
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("base64");
function entry(digest: string, sig = env.signatures[0]!.sig, kind = "hashedrekord"): TransparencyLogEntry {
  const body = { apiVersion: "0.0.2", kind, spec: { hashedRekordV002: { data: { algorithm: "SHA2_256", digest }, signature: { content: sig.toString("base64"), verifier: { keyDetails: "PKIX_ECDSA_P256_SHA_256" } } } } };
  return { canonicalizedBody: Buffer.from(JSON.stringify(body)), kindVersion: { kind, version: "0.0.2" } } as unknown as TransparencyLogEntry;
}

test("a hashedrekord/0.0.2 entry over the envelope's PAE describes the envelope", () => {
  assert.equal(checkDsseHashedRekordV2(entry(sha(pae)), env), undefined);
});

test("a hashedrekord/0.0.2 entry over the payload alone, another signature, or another kind does not", () => {
  assert.match(checkDsseHashedRekordV2(entry(sha(env.payload)), env) ?? "", /not sha256 of the envelope's PAE/);
  assert.match(checkDsseHashedRekordV2(entry(sha(pae), Buffer.from("another")), env) ?? "", /logged signature differs/);
  assert.match(checkDsseHashedRekordV2(entry(sha(pae), env.signatures[0]!.sig, "dsse"), env) ?? "", /kind\/version mismatch|not a hashedRekordV002/);
});
