// Class 2, parsers: `verify-commit` on the worst raw commits an outsider can hand it at its caps (a 1 MiB commit,
// a 64 KiB gpgsig header), and a pull request's 250 commits each carrying such a signature. The header split is one
// pass; the CMS is read by der.ts's linear reader (before: 12,000 nested SEQUENCEs overflowed the stack, and 10,000
// nested OCTET STRINGs, unseen by the old depth pre-scan, took 305 ms per commit: 76 s for 250). Bound: each under
// 2 s, right outcome.
import { readFileSync } from "node:fs";
import { commitTrustMaterial, verifyGitsignCommit, verifyGitsignPayload } from "../../src/adapters/sigstore/gitsign.js";
import type { CommitVerification } from "../../src/adapters/sigstore/gitsign.js";
import type { HostileRow } from "../hostile.js";
import { commitSignatures } from "../../src/app/commit-evidence.js";
import { DEFAULT_AGENT_ACCOUNTS } from "../../src/core/agents.js";
import type { CommitFacts } from "../../src/core/facts.js";
import { commitObjectId, rebuildSignedCommit } from "../../src/core/signed-commits.js";
import { cmsPem, octetBomb } from "../../test/support/der-bombs.js";

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
  const octets = Buffer.from(`tree 0\ngpgsig ${cmsPem(octetBomb(10_000, 6_000)).trimEnd().replace(/\n/g, "\n ")}\n\nm\n`);
  return Promise.resolve([
    row("gitsign commit (01) with 1 MiB of extra parent headers", Buffer.concat([treeLine, parents, good.subarray(treeLine.length)]), (r) => !r.ok && r.code === "CONTENT_MISMATCH"),
    row("12,000 nested DER SEQUENCEs in gpgsig", nested, (r) => !r.ok && r.code === "SIGNATURE_MALFORMED"),
    row("10,000 nested DER OCTET STRINGs as the CMS's certificate in gpgsig", octets, (r) => !r.ok && r.code === "SIGNATURE_MALFORMED"),
    row("1 MiB single-line commit, no newline", oneLine, (r) => !r.ok && r.code === "COMMIT_UNSIGNED"),
    row("real gitsign commit (01), offline Rekor entry", good, (r) => r.ok),
    pullRequest(trust),
  ]);
}

// 250 commits (GitHub's list of a pull request's commits) each signed with 62 KB of nested OCTET STRINGs: refused
// SIGNATURE_MALFORMED until the per-evaluation budget of commit-signature bytes runs out, then not verified at all
function pullRequest(trust: ReturnType<typeof commitTrustMaterial>): HostileRow {
  const commits: CommitFacts[] = [];
  let size = 0;
  for (let k = 0; k < 250; k++) {
    const payload = `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nc${k}\n`;
    const signature = cmsPem(octetBomb(10_000, 6_000, k));
    size += payload.length + signature.length;
    const who = { name: "A", email: "a@example.com" };
    const sha = commitObjectId(rebuildSignedCommit(payload, signature), 40);
    commits.push({ sha, treeSha: "0".repeat(40), parents: [], message: "", author: who, committer: who, claims: [], detection: { isAgent: true, reasons: [] }, gitSignature: { verified: false, reason: "unknown_signature_type", payload, signature } });
  }
  const t = performance.now();
  const out = commitSignatures(commits, ({ payload, signature }) => verifyGitsignPayload({ payload, signature, trust }), DEFAULT_AGENT_ACCOUNTS);
  const seconds = (performance.now() - t) / 1000;
  const codes = new Map<string, number>();
  for (const o of out) if (!o.ok) codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
  const outcome = [...codes].map(([c, n]) => `${n} ${c}`).join(", ");
  const ok = out.length === 250 && out.every((o) => !o.ok) && (codes.get("VERIFICATION_BUDGET_EXCEEDED") ?? 0) > 0;
  return { class: CLASS, input: "a PR of 250 commits, each with 62 KB of nested OCTET STRINGs as its gitsign signature", size: kb(size), seconds, peakRssMb: rss(), outcome, bound: `none verified, < ${BOUND_S} s`, met: ok && seconds < BOUND_S };
}
