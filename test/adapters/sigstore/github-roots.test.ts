// Several trust roots at once (issue 17 item 4): real GitHub artifact attestations from GitHub's own Sigstore instance
// (RFC 3161 timestamp only, no tlog, no SCT) and from public-good (fixtures/sigstore-github, a copy of the shared
// fixture set; its README says what each case is). Every case gives its expected verdict; a certificate's CA picks
// its root, whose thresholds apply, and a bundle cannot borrow a looser root's.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrustRootRefresher } from "../../../src/adapters/sigstore/root-refresher.js";
import { createVerifier } from "../../../src/adapters/sigstore/verifier.js";
import type { SignerPolicy, SubjectSpec } from "../../../src/adapters/sigstore/verifier.js";
import { lintTrustedRoot } from "../../../src/adapters/sigstore/rootlint.js";
import { GITHUB_ROOT_PATH, loadGithubRoot, loadPinnedRoot, parseRootEntry, parseRootList } from "../../../src/adapters/sigstore/trusted-root.js";
import { verifyBundleCommand } from "../../../src/cli/verify-bundle.js";
import type { VerificationOutcome } from "../../../src/core/verification.js";

const DIR = "fixtures/sigstore-github";
interface CaseJson {
  expected: "pass" | "fail";
  instance: "github" | "public-good";
  mode: "artifact" | "digest";
  artifact: string | null;
  artifactDigest: { sha256: string };
  identity: string;
  issuer: string | null;
  failingCheck?: string;
  trustedRootMatch: { leafIssuedByCertificateAuthorityIndex: number[]; rfc3161VerifiedByTimestampAuthorityIndex?: number[] };
}
const CASES = readdirSync(DIR).filter((d) => /^\d\d-/.test(d));
const caseOf = (id: string): CaseJson => JSON.parse(readFileSync(join(DIR, id, "case.json"), "utf8")) as CaseJson;
const read = (id: string, f: string): Buffer => readFileSync(join(DIR, id, f));
const json = (id: string, f: string): Record<string, unknown> => JSON.parse(read(id, f).toString("utf8")) as Record<string, unknown>;
const subjectOf = (id: string, c: CaseJson): SubjectSpec =>
  c.mode === "artifact" ? { kind: "artifact", bytes: read(id, c.artifact!) } : { kind: "digest", algorithm: "sha256", hex: c.artifactDigest.sha256 };
// issuer null: the certificate carries no OIDC issuer extension (GitHub's release attestation, case 04)
const signerOf = (c: CaseJson): SignerPolicy => ({ kind: "certificate", identity: c.identity, issuer: c.issuer });
const byId = (prefix: string): string => CASES.find((d) => d.startsWith(prefix))!;

const github = loadGithubRoot();
const publicGood = loadPinnedRoot();
const both = createVerifier({ trustedRoot: publicGood, additionalRoots: [{ name: "github", root: github }] });

function fail(r: VerificationOutcome, code: string | RegExp): void {
  assert.equal(r.ok, false, "expected a failure");
  if (!r.ok) assert.match(r.code, typeof code === "string" ? new RegExp(`^${code}$`) : code, `${r.code}: ${r.message}`);
}

describe("every fixture case gives its expected verdict with the root that comes with it", () => {
  assert.equal(CASES.length, 10);
  for (const id of CASES) {
    test(id, () => {
      const c = caseOf(id);
      const v = createVerifier({ trustedRoot: json(id, "trusted_root.json"), trustedRootName: c.instance });
      const r = v.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
      if (c.expected === "pass") {
        assert.ok(r.ok, r.ok ? "" : `${r.code}: ${r.message}`);
        assert.equal(r.signer.identity, c.identity);
        assert.equal(r.signer.root, c.instance);
        assert.deepEqual(r.timestamps.map((t) => t.source), c.instance === "github" ? ["rfc3161"] : ["tlog"]);
      } else if (id.startsWith("09")) {
        fail(r, "SUBJECT_MISMATCH"); // the statement subject digest
      } else {
        fail(r, /^(TIMESTAMP_INVALID|CERTIFICATE_CHAIN_INVALID)$/); // GitHub's TSA and Fulcio chain are not in public-good
      }
    });
  }
});

describe("public-good and GitHub's pinned roots at once: each bundle verifies against the root that issued its certificate", () => {
  for (const id of CASES.filter((d) => !d.startsWith("10"))) {
    test(id, () => {
      const c = caseOf(id);
      const r = both.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
      if (c.expected === "fail") return fail(r, "SUBJECT_MISMATCH");
      assert.ok(r.ok, r.ok ? "" : `${r.code}: ${r.message}`);
      assert.equal(r.signer.root, c.instance);
    });
  }

  test("case 10 (GitHub's bundle) verifies through GitHub's root once it is configured, and never through public-good's", () => {
    const id = byId("10");
    const c = caseOf(id);
    const r = both.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
    assert.ok(r.ok && r.signer.root === "github", r.ok ? r.signer.root : r.message);
    fail(createVerifier({ trustedRoot: publicGood }).verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) }), /^(TIMESTAMP_INVALID|CERTIFICATE_CHAIN_INVALID)$/);
  });
});

describe("a root's thresholds cannot be borrowed", () => {
  test("a public-good bundle presented to GitHub's root alone fails", () => {
    const id = byId("05");
    const c = caseOf(id);
    const r = createVerifier({ trustedRoot: github, trustedRootName: "github" }).verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
    fail(r, /^(TLOG_UNTRUSTED_LOG|CERTIFICATE_CHAIN_INVALID)$/);
  });

  test("a GitHub bundle with its RFC 3161 timestamp removed fails: no signed time", () => {
    const id = byId("02");
    const c = caseOf(id);
    const b = json(id, "bundle.sigstore.json") as { verificationMaterial: { timestampVerificationData?: unknown } };
    delete b.verificationMaterial.timestampVerificationData;
    fail(both.verify({ bundle: b, subject: subjectOf(id, c), signer: signerOf(c) }), "NO_SIGNED_TIME");
    fail(createVerifier({ trustedRoot: github, trustedRootName: "github" }).verify({ bundle: b, subject: subjectOf(id, c), signer: signerOf(c) }), "NO_SIGNED_TIME");
  });

  test("a GitHub bundle carrying a public-good Rekor entry is refused: GitHub's root has no transparency log", () => {
    const id = byId("02");
    const c = caseOf(id);
    const b = json(id, "bundle.sigstore.json") as { verificationMaterial: { tlogEntries: unknown[] } };
    const pg = json(byId("05"), "bundle.sigstore.json") as { verificationMaterial: { tlogEntries: unknown[] } };
    b.verificationMaterial.tlogEntries = pg.verificationMaterial.tlogEntries;
    fail(both.verify({ bundle: b, subject: subjectOf(id, c), signer: signerOf(c) }), "TLOG_UNTRUSTED_LOG");
  });

  test("a public-good bundle without its Rekor entry is held to public-good's thresholds (its CA picks the root), not GitHub's", () => {
    const id = byId("05");
    const c = caseOf(id);
    const b = json(id, "bundle.sigstore.json") as { verificationMaterial: { tlogEntries: unknown[]; timestampVerificationData?: unknown } };
    b.verificationMaterial.tlogEntries = [];
    // with GitHub's token added, GitHub's thresholds would be met; public-good's TSA does not verify GitHub's token
    b.verificationMaterial.timestampVerificationData = (json(byId("02"), "bundle.sigstore.json") as { verificationMaterial: { timestampVerificationData: unknown } }).verificationMaterial.timestampVerificationData;
    const r = both.verify({ bundle: b, subject: subjectOf(id, c), signer: signerOf(c) });
    fail(r, /^(TIMESTAMP_INVALID|NO_SIGNED_TIME|TLOG_THRESHOLD_NOT_MET)$/);
  });

  test("GitHub's root with a tlog threshold it cannot meet is refused when the verifier is built", () => {
    assert.throws(() => createVerifier({ trustedRoot: github, tlogThreshold: 1 }), /VERIFIER_OPTIONS_INVALID|lists no tlogs/);
    assert.throws(() => createVerifier({ trustedRoot: github, ctlogThreshold: 1 }), /lists no ctlogs/);
  });
});

describe("overlapping validity windows: every authority whose window covers the time is tried", () => {
  // generations 3 (2025-05-27 to 2025-12-09) and 4 (from 2025-11-13) both cover cases 02 and 03; only 4's keys verify
  const root = github as { certificateAuthorities: unknown[]; timestampAuthorities: unknown[] };
  const withGenerations = (idx: number[]): unknown => ({ ...root, certificateAuthorities: idx.map((i) => root.certificateAuthorities[i]), timestampAuthorities: idx.map((i) => root.timestampAuthorities[i]) });
  for (const prefix of ["02", "03"]) {
    test(`case ${prefix}`, () => {
      const id = byId(prefix);
      const c = caseOf(id);
      assert.deepEqual(c.trustedRootMatch.leafIssuedByCertificateAuthorityIndex, [4]);
      const run = (idx: number[]): VerificationOutcome =>
        createVerifier({ trustedRoot: withGenerations(idx), trustedRootName: "github" }).verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
      for (const order of [[3, 4], [4, 3], [0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0]]) {
        const r = run(order);
        assert.ok(r.ok, `order ${order.join(",")}: ${r.ok ? "" : `${r.code}: ${r.message}`}`);
      }
      fail(run([3]), /^(TIMESTAMP_INVALID|CERTIFICATE_CHAIN_INVALID)$/); // the overlapping generation alone does not verify
    });
  }

  test("case 04's Attester leaf chains into all six CA chains (the shared Fulcio Intermediate l1); only generation 4's window covers it", () => {
    const id = byId("04");
    const c = caseOf(id);
    const r = both.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
    assert.ok(r.ok, r.ok ? "" : r.message);
  });
});

describe("a certificate without an OIDC issuer (GitHub's release attestation, case 04)", () => {
  const id = byId("04");
  const c = caseOf(id);
  const verify = (signer: SignerPolicy): VerificationOutcome => both.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer });

  test("passes only a signer that pins the identity and says issuer: null", () => {
    assert.equal(c.issuer, null);
    assert.ok(verify({ kind: "certificate", identity: c.identity, issuer: null }).ok);
  });

  test("fails a signer pinning the Actions issuer, and a pattern cannot go without an issuer", () => {
    fail(verify({ kind: "certificate", identity: c.identity, issuer: "https://token.actions.githubusercontent.com" }), "ISSUER_MISMATCH");
    fail(verify({ kind: "certificate", identityPattern: "^https://dotcom\\.releases\\.github\\.com$", issuer: null as unknown as string }), "POLICY_INVALID");
  });

  test("issuer: null never matches a certificate that has an issuer", () => {
    const id1 = byId("01");
    const c1 = caseOf(id1);
    fail(both.verify({ bundle: read(id1, "bundle.sigstore.json"), subject: subjectOf(id1, c1), signer: { kind: "certificate", identity: c1.identity, issuer: null } }), "ISSUER_MISMATCH");
  });
});

describe("roots: lint, names and lists", () => {
  test("the pinned GitHub root is the fixtures' GitHub root, byte for byte", () => {
    assert.ok(readFileSync(GITHUB_ROOT_PATH).equals(read(byId("01"), "trusted_root.json")));
  });

  test("GitHub's root (no tlogs, no ctlogs, TSAs) passes the lint; a root with neither tlogs nor TSAs does not", () => {
    assert.deepEqual(lintTrustedRoot(github), []);
    assert.match(lintTrustedRoot({ ...(github as object), timestampAuthorities: [] }).join("; "), /tlogs must be a non-empty list .*timestamp-only/);
    assert.match(lintTrustedRoot({ ...(publicGood as object), tlogs: [] }).join("; "), /tlogs must be a non-empty list/);
  });

  test("names must differ, and two roots holding the same CA certificate are refused", () => {
    assert.throws(() => createVerifier({ trustedRoot: github, trustedRootName: "github", additionalRoots: [{ name: "github", root: publicGood }] }), /two trusted roots are named github/);
    assert.throws(() => createVerifier({ trustedRoot: publicGood, additionalRoots: [{ name: "gh-cli-test", root: json(byId("06"), "trusted_root.json") }] }), /TRUSTED_ROOT_INVALID|same CA certificate/);
    assert.throws(() => createVerifier({ trustedRoot: publicGood, additionalRoots: [{ name: "Bad Name", root: github }] }), /trusted root name/);
  });

  test("root lists: NAME=PATH, pinned names, bare paths only where a fallback name is given", () => {
    assert.deepEqual(parseRootList("github, corp=/etc/corp-root.json"), [parseRootEntry("github"), { name: "corp", path: "/etc/corp-root.json" }]);
    assert.equal(parseRootEntry("/tmp/root.json", "custom").name, "custom");
    assert.throws(() => parseRootList("/tmp/root.json"), /expected a trusted root entry NAME=PATH/);
  });
});

describe("verify-bundle with several --trusted-root", () => {
  const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const code = await verifyBundleCommand(args, { out: (s: string) => void (out += `${s}\n`), err: (s: string) => void (err += `${s}\n`) });
    return { code, out, err };
  };
  const id = byId("02");
  const c = caseOf(id);
  const args = ["--bundle", join(DIR, id, "bundle.sigstore.json"), "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer!, `sha256:${c.artifactDigest.sha256}`];

  test("GitHub's bundle: refused with the default (public-good) root, verified with --trusted-root github, the root named", async () => {
    assert.equal((await run(args)).code, 1);
    const ok = await run([...args, "--trusted-root", "public-good", "--trusted-root", "github", "--json"]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal((JSON.parse(ok.out) as { signer: { root: string } }).signer.root, "github");
    const named = await run([...args, "--trusted-root", `gh=${join(DIR, id, "trusted_root.json")}`]);
    assert.equal(named.code, 0, named.err);
    assert.match(named.out, /trusted root gh/);
  });

  test("two bare files are a usage error", async () => {
    const f = join(DIR, id, "trusted_root.json");
    assert.equal((await run([...args, "--trusted-root", f, "--trusted-root", f])).code, 2);
  });
});

describe("the TUF refresher refreshes the primary root and keeps the additional ones", () => {
  test("GitHub's bundles still verify through GitHub's root after the public-good root is refreshed", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "ag-roots-"));
    try {
      let fetches = 0;
      const refresher = await TrustRootRefresher.start({
        cacheDir,
        fetchRoot: () => Promise.resolve((fetches++, publicGood)),
        intervalMs: 3_600_000,
        maxAgeMs: 72 * 3_600_000,
        timers: { set: () => 0, clear: () => undefined },
        verifierOptions: { additionalRoots: [{ name: "github", root: github }] },
      });
      const check = (prefix: string, root: string): void => {
        const id = byId(prefix);
        const c = caseOf(id);
        const r = refresher.verifier.verify({ bundle: read(id, "bundle.sigstore.json"), subject: subjectOf(id, c), signer: signerOf(c) });
        assert.ok(r.ok && r.signer.root === root, r.ok ? r.signer.root : `${r.code}: ${r.message}`);
      };
      check("02", "github");
      check("05", "public-good");
      assert.equal(await refresher.refresh(), true);
      assert.equal(fetches, 2);
      check("02", "github");
      check("05", "public-good");
      refresher.stop();
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
