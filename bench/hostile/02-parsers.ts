// Class 2, super-linear parsing of PR content: each parser on its worst known input at GitHub's limits (65,536
// characters for a body or a comment, 250 commits listed per PR, commit messages of a megabyte and more; a prompt
// inside a block of up to BLOCK_MAX_BYTES). Before: a 400 KB Co-authored-by value of spaces took 15 s at 200 K
// spaces (a quadratic name/e-mail pattern). Bound: each under 2 s, with the right outcome.
import { PROMPT_TEXT_MAX } from "../../src/core/binding.js";
import { parseRepositoryName } from "../../src/core/binding.js";
import { BLOCK_MAX_BYTES, extractProvenanceBlocks, renderProvenanceBlock } from "../../src/core/provenance-block.js";
import { redact, scanSecrets } from "../../src/core/secrets.js";
import { bodyMarkerClaims, trailerClaims } from "../../src/core/trailers.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "2 parsers";
const BOUND_S = 2;
const BODY = 65_536;
const rss = (): number => process.resourceUsage().maxRSS / 1024;
const size = (chars: number): string => (chars >= 1 << 20 ? `${(chars / (1 << 20)).toFixed(1)} M chars` : `${(chars / 1024).toFixed(0)} K chars`);
const fill = (s: string, n: number): string => s.repeat(Math.ceil(n / s.length)).slice(0, n);

function row(input: string, chars: number, run: () => { ok: boolean; outcome: string }): HostileRow {
  const t = performance.now();
  const r = run();
  const seconds = (performance.now() - t) / 1000;
  // Prompts are the only text scanned here that GitHub does not cap; the gate refuses ones over its cap unscanned.
  if (input.startsWith("prompt") && chars > PROMPT_TEXT_MAX) {
    return { class: CLASS, input, size: size(chars), seconds, peakRssMb: rss(), outcome: `${r.outcome} (the gate refuses such a prompt unscanned: PROMPT_TOO_LARGE)`, bound: `right outcome; no time bound past ${PROMPT_TEXT_MAX} chars`, met: r.ok };
  }
  return { class: CLASS, input, size: size(chars), seconds, peakRssMb: rss(), outcome: r.outcome, bound: `right outcome, < ${BOUND_S} s`, met: r.ok && seconds < BOUND_S };
}

// Every keyword of every secret rule, each followed by a near-miss, so every rule runs and finds little.
const SECRET_NOISE =
  "password=; pwd=; Bearer aaaa Authorization: Basic a glpat- gldt- xoxb- xapp-1- sk-ant- sk-proj- sk_live_ rk_test_ eyJa.eyJb. AKIA ASIA A3TX ABSK bedrock-api-key- aws_secret_key= AIza \"type\": \"service_account ://u:$x@ AccountKey=; SharedAccessKey= hooks.slack.com/services/ -----BEGIN PUBLIC KEY----- 1Q~ hf_ npm_ ghp_ github_pat_ pypi-AgEIcHlwaS5vcmc _gitlab_session= GR1348941 api_key: ${x} ";

// One genuine-looking credential per rule, assembled here so the repository holds none: with them at the end of
// the noise, every rule's search runs over the whole text (the worst case of the scan).
const rep = (x: string, n: number): string => x.repeat(n);
const EVERY_FORMAT = [
  "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
  "github_pat_" + rep("11AB", 6) + "_" + rep("xY9z", 14),
  "ghp_" + rep("A1b2", 9),
  "glpat-" + rep("x9Yz", 5),
  "_gitlab_session=" + rep("0a1b", 8),
  "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/" + rep("x", 24),
  "xoxb-" + rep("1234567890", 2) + "-abcdef",
  "xapp-1-" + "A0123456789" + "-1234567890123-" + rep("ab12", 16),
  "sk_live_" + rep("4eC3", 6),
  "AKIA" + rep("Z7Q2", 4),
  "ABSK" + "QmVkcm9ja0FQSUtleS1" + rep("Ab3x", 28),
  "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG+bPxRfiCY" + "EXAMPLEKEY",
  "AIza" + rep("Sy", 17) + "A",
  '"type": "service_account"',
  "client_secret=bP88" + "Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR",
  "npm_" + rep("a1B2c3", 6),
  "pypi-" + "AgEIcHlwaS5vcmc" + rep("0a1b2c3d", 8),
  "hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH",
  "sk-ant-api03-" + rep("Ab9_", 10),
  "sk-proj-" + rep("Zz09", 10),
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N",
  "Bearer " + "a1B2c3D4e5F6g7H8i9J0kLmN",
  "Authorization: Basic " + "dXNlcjpodW50ZXIy",
  "postgres://app:" + "s3cr3t-Pa55" + "@db/app",
  "Server=db;Password=" + "Tr0ub4dor&3" + ";Encrypt=True",
  "AccountKey=" + rep("Ab3+", 22) + "==",
  "password=" + "hunter2hunter2",
].join("\n");
const FORMATS = 27; // one finding per line of EVERY_FORMAT

export async function rows(): Promise<HostileRow[]> {
  await Promise.resolve();
  const out: HostileRow[] = [];
  const spaces = `Subject\n\nCo-authored-by: Claude${" ".repeat(400_000)}x <noreply@anthropic.com>`;
  out.push(
    row("Co-authored-by value of 400 K spaces (15 s at 200 K before)", spaces.length, () => {
      const [c] = trailerClaims(spaces);
      return { ok: c?.kind === "co-authored-by" && c.email === "noreply@anthropic.com", outcome: `1 co-author claim, address read` };
    }),
  );
  const brackets = `Subject\n\nCo-authored-by: ${"< ".repeat(2 << 20)}`;
  out.push(
    row("Co-authored-by value of 4 MB of '< ' (no address)", brackets.length, () => {
      const [c] = trailerClaims(brackets);
      return { ok: c?.kind === "co-authored-by" && c.email === undefined, outcome: "1 co-author claim, no address" };
    }),
  );
  const continuations = `Subject\n\nCo-authored-by: a${"\n b".repeat(1_000_000)}`;
  out.push(
    row("1,000,000 continuation lines in one trailer", continuations.length, () => {
      const [c] = trailerClaims(continuations);
      return { ok: c?.kind === "co-authored-by" && c.name.length === 2_000_001, outcome: "1 claim, lines joined" };
    }),
  );
  const commits = Array.from({ length: 250 }, (_, i) => `Commit ${i}\n\nCo-authored-by: a${" ".repeat(BODY)}b <x@y>\nAssisted-by: x:${" ".repeat(BODY)}[t]`);
  out.push(
    row("250 commits, each with 128 K chars of hostile trailers", commits.reduce((n, m) => n + m.length, 0), () => {
      const n = commits.reduce((k, m) => k + trailerClaims(m).length, 0);
      return { ok: n === 500, outcome: `${n} claims` };
    }),
  );
  for (const [what, filler] of [
    ["'Requested by:   **'", "Requested by:   **"],
    ["'started by   '", "started by   "],
  ] as const) {
    const body = fill(filler, BODY - 20) + "started by @carol";
    out.push(
      row(`PR body of ${what} repeats (markers)`, body.length, () => {
        const c = bodyMarkerClaims(body);
        return { ok: c.length === 1 && c[0]?.requestedBy === "carol", outcome: `${c.length} marker: jules, @carol` };
      }),
    );
  }
  const json = JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
  for (const [what, noise] of [
    ["'<!--' repeats", "<!--"],
    ["unterminated openers", "<!-- agent-gate:provenance v1\n"],
    ["nested openers", "<!-- agent-gate:provenance v1\nQUFB<!-- agent-gate:provenance v1\n"],
    ["openers with a lone '-'", "<!-- agent-gate:provenance v1\nQUFB-"],
  ] as const) {
    const text = fill(noise, BODY - 200) + renderProvenanceBlock(json);
    out.push(
      row(`comment of ${what}, then one block (provenance blocks)`, text.length, () => {
        const r = extractProvenanceBlocks(text, { kind: "comment", id: 1 });
        return { ok: r.bundles.length === 1, outcome: `${r.bundles.length} bundle, ${r.problems.length} problem line(s)` };
      }),
    );
  }
  const base64 = "<!-- agent-gate:provenance v1\n" + fill("QUFB\n", 4 << 20);
  out.push(
    row("4 M chars of base64 after one opener, never closed", base64.length, () => {
      const r = extractProvenanceBlocks(base64, { kind: "comment", id: 1 });
      return { ok: r.bundles.length === 0 && r.problems.length === 1, outcome: "0 bundles, 1 unreadable opener" };
    }),
  );
  for (const chars of [BODY, BLOCK_MAX_BYTES]) {
    const beyond = chars > BODY ? " (8x GitHub's limit: a block's cap)" : "";
    const noise = fill(SECRET_NOISE, chars - 40) + " glpat-" + "x9Yz".repeat(5);
    out.push(
      row(`prompt of every secret keyword with near-misses, one token${beyond} (scan + redact)`, noise.length, () => {
        const f = scanSecrets(noise);
        const red = redact(noise);
        const ok = f.length === 1 && f[0]?.kind === "gitlab-token" && red.endsWith("[REDACTED:gitlab-token]");
        return { ok, outcome: `${f.length} finding: ${f.map((x) => x.kind).join(", ")}` };
      }),
    );
    const worst = fill(SECRET_NOISE, chars - EVERY_FORMAT.length - 1) + "\n" + EVERY_FORMAT;
    out.push(
      row(`the same noise, then one credential of every format${beyond} (scan)`, worst.length, () => {
        const f = scanSecrets(worst);
        return { ok: f.length === FORMATS, outcome: `${f.length} findings, ${new Set(f.map((x) => x.kind)).size} kinds` };
      }),
    );
  }
  const runs = fill("eyJ" + "a".repeat(1000) + ".", BLOCK_MAX_BYTES);
  out.push(
    row("prompt of 1,000-character eyJ… runs (secrets scan): each pair is a JWT", runs.length, () => {
      const f = scanSecrets(runs);
      return { ok: f.length > 0 && f.every((x) => x.kind === "jwt"), outcome: `${f.length} jwt findings` };
    }),
  );
  const name = `git+https://github.com/acme/app@${"x".repeat(1 << 20)}`;
  out.push(
    row("subject name with a 1 M char ref (parseRepositoryName)", name.length, () => {
      const r = parseRepositoryName(name);
      return { ok: r === undefined, outcome: "refused" };
    }),
  );
  return out;
}
