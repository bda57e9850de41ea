// Class 2, parsers: `verify-commit` on the worst raw commits an outsider can hand it at its caps (a 1 MiB commit,
// a 64 KiB gpgsig header). The header split is one pass; DER nesting is refused by a linear pre-scan before the
// recursive parser runs (before: 12,000 nested SEQUENCEs overflowed the stack). Bound: each under 2 s, right outcome.
import { readFileSync } from "node:fs";
import { commitTrustMaterial, verifyGitsignCommit } from "../../src/adapters/sigstore/gitsign.js";
import type { CommitVerification } from "../../src/adapters/sigstore/gitsign.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "2 parsers";
const BOUND_S = 2;
const rss = (): number => process.resourceUsage().maxRSS / 1024;
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;

export function rows(): Promise<HostileRow[]> {
  const trust = commitTrustMaterial(JSON.parse(readFileSync("fixtures/gitsign/trusted_root.json", "utf8")));
  const good = readFileSync("fixtures/gitsign/01-offline-google-2026/commit");
  const signer = { kind: "certificate", identity: "billy@chainguard.dev", issuer: "https://accounts.google.com" } as const;
  const row = (input: string, commit: Buffer, want: (r: CommitVerification) => boolean): HostileRow => {
    const t = performance.now();
    const r = verifyGitsignCommit({ commit, signer, trust });
    const seconds = (performance.now() - t) / 1000;
    const ok = want(r);
    return { class: CLASS, input, size: kb(commit.length), seconds, peakRssMb: rss(), outcome: r.ok ? "verified" : r.code, bound: `right outcome, < ${BOUND_S} s`, met: ok && seconds < BOUND_S };
  };
  const treeLine = good.subarray(0, good.indexOf("\n") + 1);
  const parents = Buffer.from("parent 0000000000000000000000000000000000000000\n".repeat(Math.floor((1024 * 1024 - good.length) / 48 - 1)));
  let der = Buffer.alloc(0);
  for (let i = 0; i < 12_000; i++) {
    const l = der.length;
    der = Buffer.concat([Buffer.from([0x30]), Buffer.from(l < 128 ? [l] : l < 256 ? [0x81, l] : [0x82, l >> 8, l & 255]), der]);
  }
  const nested = Buffer.from(`tree 0\ngpgsig -----BEGIN SIGNED MESSAGE-----\n ${der.toString("base64").replace(/(.{64})/g, "$1\n ").trimEnd()}\n -----END SIGNED MESSAGE-----\n\nm\n`);
  const oneLine = Buffer.concat([Buffer.from("tree "), Buffer.alloc(1024 * 1024 - 8, 0x61)]);
  return Promise.resolve([
    row("gitsign commit (01) with 1 MiB of extra parent headers", Buffer.concat([treeLine, parents, good.subarray(treeLine.length)]), (r) => !r.ok && r.code === "CONTENT_MISMATCH"),
    row("12,000 nested DER SEQUENCEs in gpgsig", nested, (r) => !r.ok && r.code === "SIGNATURE_MALFORMED"),
    row("1 MiB single-line commit, no newline", oneLine, (r) => !r.ok && r.code === "COMMIT_UNSIGNED"),
    row("real gitsign commit (01), offline Rekor entry", good, (r) => r.ok),
  ]);
}
