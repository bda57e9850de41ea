// Class 3, verification work amplification: a stranger's comments repeating genuine public-good bundles (c05, a real
// DSSE in-toto bundle) or one genuine RFC 3161 token. Each row prints the hostile input's time beside the time of
// verifying its distinct bundles once, on a fresh verifier each (no verdict carried over), with six trusted signers.
// Bound: the hostile input costs no more than its distinct bundles verified once (1.2x plus 50 ms of slack for a busy
// machine), and the verifier's work counters show each distinct bundle verified once, at most 256 per evaluation.
import { readFileSync } from "node:fs";
import { createVerifier, MAX_TIMESTAMPS_PER_BUNDLE } from "../../src/adapters/sigstore/verifier.js";
import type { CachingBundleVerifier, SignerPolicy } from "../../src/adapters/sigstore/verifier.js";
import { EvidenceVerifier, MAX_BUNDLES_PER_EVALUATION } from "../../src/app/evidence.js";
import type { FoundBundle } from "../../src/core/facts.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "3 verification work";
const CASE = "fixtures/sigstore/cases/c05-dsse-intoto-slsa-v0.3";
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const COPIES = 3000;

const rss = (): number => process.resourceUsage().maxRSS / 1024;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const signers: SignerPolicy[] = [
  ...Array.from({ length: 5 }, (_, i): SignerPolicy => ({ kind: "certificate", identity: `https://github.com/acme/agents/.github/workflows/agent-${i}.yml@refs/heads/main`, issuer: ISSUER })),
  { kind: "certificate", identity: IDENTITY, issuer: ISSUER },
];
const found = (jsons: readonly string[]): FoundBundle[] => jsons.map((json, index) => ({ json, location: { kind: "pr-comment", commentId: 1 }, index }));

function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

// The same bundle with trailing spaces: distinct bytes (and digests) for the price of a few characters.
const variants = (json: string, n: number): string[] => Array.from({ length: n }, (_, i) => json + " ".repeat(i));

// The baseline verifies every distinct bundle once, uncapped: what the bound in issue 14 compares against.
function comment(label: string, jsons: string[], distinct: string[], trustedRoot: unknown): HostileRow {
  const once = createVerifier({ trustedRoot });
  const baseline = timed(() => distinct.map((json) => once.verifyAny({ bundle: json, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signers })));
  const v: CachingBundleVerifier = createVerifier({ trustedRoot });
  const run = timed(() => new EvidenceVerifier(v).verifyAll(found(jsons), signers));
  const ev = run.value;
  const verifiedOnce = v.workStats().bundles === Math.min(distinct.length, MAX_BUNDLES_PER_EVALUATION);
  const capped = ev.failed.filter((f) => f.failure.code === "VERIFICATION_BUDGET_EXCEEDED").length;
  const met = verifiedOnce && run.seconds <= baseline.seconds * 1.2 + 0.05 && ev.verified.length + ev.failed.length === distinct.length;
  return {
    class: CLASS,
    input: label,
    size: mb(jsons.reduce((n, j) => n + j.length, 0)),
    seconds: run.seconds,
    peakRssMb: rss(),
    outcome: `${ev.verified.length} verified, ${ev.failed.length} failed (${capped} over the cap); ${v.workStats().bundles} verifications; distinct once: ${baseline.seconds.toFixed(2)} s`,
    bound: "<= distinct bundles verified once",
    met,
  };
}

export function rows(): Promise<HostileRow[]> {
  const genuine = readFileSync(`${CASE}/bundle.sigstore.json`, "utf8");
  const trustedRoot: unknown = JSON.parse(readFileSync(`${CASE}/trusted_root.json`, "utf8"));
  const out: HostileRow[] = [];
  // warm-up: module initialisation and the JIT are not the first row's cost
  for (let i = 0; i < 20; i++) createVerifier({ trustedRoot }).verifyAny({ bundle: genuine, subject: { kind: "in-toto-statement", subjectsBoundBy: "caller" }, signers });
  out.push(comment(`${COPIES.toLocaleString("en")} copies of 1 genuine bundle`, Array.from({ length: COPIES }, () => genuine), [genuine], trustedRoot));
  const fifty = variants(genuine, 50);
  out.push(comment(`${COPIES.toLocaleString("en")} bundles, 50 distinct`, Array.from({ length: COPIES }, (_, i) => fifty[i % 50]!), fifty, trustedRoot));
  const all = variants(genuine, COPIES);
  out.push(comment(`${COPIES.toLocaleString("en")} bundles, all distinct (cap ${MAX_BUNDLES_PER_EVALUATION})`, all, all, trustedRoot));
  out.push(timestampCopies());
  return Promise.resolve(out);
}

// One genuine Rekor v2 bundle (conformance rekor2-happy-path) whose one RFC 3161 token is repeated to 3.3 MB.
function timestampCopies(): HostileRow {
  const dir = "fixtures/sigstore-conformance/rekor2-happy-path";
  const bundle = JSON.parse(readFileSync(`${dir}/bundle.sigstore.json`, "utf8")) as { verificationMaterial: { timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] } } };
  const trustedRoot: unknown = JSON.parse(readFileSync(`${dir}/trusted_root.json`, "utf8"));
  const artifact = readFileSync("fixtures/sigstore-conformance/a.txt");
  const list = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
  const token = list[0]!;
  const copies = Math.floor((3.3 * 1024 * 1024) / (token.signedTimestamp.length + 24));
  while (list.length < copies) list.push({ ...token });
  const text = JSON.stringify(bundle);
  const v = createVerifier({ trustedRoot });
  const multi = [...signers.slice(0, 5), { kind: "certificate", identity: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", issuer: ISSUER } as const];
  const run = timed(() => v.verifyAny({ bundle: text, subject: { kind: "artifact", bytes: artifact }, signers: multi }));
  const o = run.value;
  const tokensChecked = v.workStats().timestampVerifications;
  return {
    class: CLASS,
    input: `1 bundle, 1 RFC 3161 token x ${copies.toLocaleString("en")}`,
    size: mb(text.length),
    seconds: run.seconds,
    peakRssMb: rss(),
    outcome: `${o.ok ? "verified" : o.code}; ${tokensChecked} tokens verified (cap ${MAX_TIMESTAMPS_PER_BUNDLE})`,
    bound: `<= ${MAX_TIMESTAMPS_PER_BUNDLE} tokens verified`,
    met: !o.ok && tokensChecked <= MAX_TIMESTAMPS_PER_BUNDLE,
  };
}
