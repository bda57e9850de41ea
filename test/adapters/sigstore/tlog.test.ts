// Checkpoint notes are read strictly before the library sees them (it matches signer names as regular expressions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkCheckpointShape } from "../../../src/adapters/sigstore/tlog.js";

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
