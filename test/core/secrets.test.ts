import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { SECRET_RULES, entropy, redact, scanSecrets } from "../../src/core/secrets.js";
import type { SecretKind } from "../../src/core/secrets.js";

// «» mark the secret within a sample when the sample holds more (a key, a URL); they are removed before scanning.
// Assembled at run time so this file holds no literal that secret scanners (ours or GitHub's) flag. Most follow
// the true-positive strings of the gitleaks rule each of our rules follows (cmd/generate/config/rules/*.go).
const rep = (s: string, n: number): string => s.repeat(n);
const SAMPLES: Record<SecretKind, readonly string[]> = {
  "github-token": ["ghp_" + rep("A1b2", 9), "gho_" + rep("Z9y8", 9), "ghs_" + rep("k3J4", 9)],
  "github-pat": ["github_pat_" + rep("11AB", 6) + "_" + rep("xY9z", 14)],
  "gitlab-token": [
    "glpat-" + rep("x9Yz", 5),
    "glpat-" + rep("a1B2", 7) + "." + "01" + "abc1234",
    "gldt-" + rep("Qw3r", 5),
    "glrt-" + "t1_" + rep("Rt5y", 7) + "." + "02" + "zyx9876",
    "glptt-" + rep("0a1b", 10),
    "glcbt-" + "64" + "_" + rep("Jb7v", 5),
    "GR1348941" + rep("aB3_", 5),
    "_gitlab_session=«" + rep("0a1b", 8) + "»",
  ],
  "aws-access-key-id": ["AKIA" + rep("Z7Q2", 4), "ASIA" + rep("Q2R3", 4), "A3TX" + rep("LMN4", 4)],
  "aws-secret-access-key": ["aws_secret_access_key = «" + "wJalrXUtnFEMI/K7MDENG+bPxRfiCY" + "EXAMPLEKEY»"],
  "aws-bedrock-api-key": ["ABSK" + "QmVkcm9ja0FQSUtleS1" + rep("Ab3x", 28), "bedrock-api-key-" + "YmVkcm9jay5hbWF6b25hd3MuY29t" + rep("Lw9", 10)],
  "private-key": [
    "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\nlQWGBGSVV4YBDAClvRnxezIR\n=8xQN\n-----END PGP PRIVATE KEY BLOCK-----",
  ],
  "slack-token": ["xoxb-" + rep("1234567890", 2) + "-abcdef", "xoxp-" + rep("12345678901-", 3) + rep("aB3d", 8), "xapp-1-" + "A0123456789" + "-1234567890123-" + rep("ab12", 16)],
  "slack-webhook": ["https://hooks.slack.com/services/T0000AAAA/B0000BBBB/" + rep("x", 24), "hooks.slack.com/workflows/" + rep("T0aB", 12)],
  "stripe-key": ["sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "rk_test_" + rep("Ab12", 8), "sk_prod_" + rep("Zx9", 33)],
  jwt: [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N",
    "eyJhbGciOiJub25lIn0" + ".eyJzdWIiOiIxMjM0In0.",
  ],
  "google-api-key": ["AIza" + rep("Sy", 17) + "A"],
  "gcp-service-account": ['{«"type": "service_account"», "project_id": "demo"}'],
  "azure-client-secret": ["client_secret=«bP88" + "Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR»", "'«2Vq7" + "Q~q5VgKljZ7cb3.0sp0Apz.vOjRIPyeTr»'"],
  "npm-token": ["npm_" + rep("a1B2c3", 6)],
  "pypi-token": ["pypi-" + "AgEIcHlwaS5vcmc" + rep("0a1b2c3d", 8)],
  "huggingface-token": ["hf_" + "abcdefghijklmnopqrstuvwxyzABCDEFGH"],
  "anthropic-api-key": ["sk-ant-api03-" + rep("Ab9_", 10)],
  "openai-api-key": ["sk-proj-" + rep("Zz09", 10)],
  "bearer-token": ["Authorization: Bearer «" + "a1B2c3D4e5F6g7H8i9J0kLmN»", "curl -H 'authorization: bearer «" + "Zm9vYmFyMTIzNDU2Nzg5MA" + "»' https://api.example"],
  "authorization-header": ["Authorization: Basic «" + "dXNlcjpodW50ZXIy»", '"Authorization": "token «' + "f00dfeed1234cafe" + '»"'],
  "url-password": ["postgres://app:«" + "s3cr3t-Pa55" + "»@db.internal:5432/app", "https://deploy:«" + "Xk8mQ2vL9pR4" + "»@git.example.com/o/r.git", "redis://:«" + "hunter22hunter" + "»@cache:6379"],
  "connection-string-password": [
    "Server=tcp:db;Database=app;User ID=app;Password=«" + "Tr0ub4dor&3" + "»;Encrypt=True",
    "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=«" + rep("Ab3+", 22) + "==»;EndpointSuffix=core.windows.net",
    "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=«" + rep("Kq7/", 11) + "»",
  ],
  "generic-assignment": ["password=«hunter2hunter2»"],
};

describe("secret rules", () => {
  for (const [kind, samples] of Object.entries(SAMPLES)) {
    for (const [i, marked] of samples.entries()) {
      test(`finds a ${kind} (#${i + 1}) at its position, without echoing it, and redacts exactly it`, () => {
        const sample = marked.replace(/[«»]/g, "");
        const at = marked.indexOf("«") >= 0 ? marked.indexOf("«") : 0;
        const secret = marked.includes("«") ? marked.slice(at + 1, marked.indexOf("»")) : marked;
        const text = `line one\n  use ${sample} here\n`;
        const found = scanSecrets(text);
        assert.deepEqual(found, [{ kind, line: 2, column: 7 + at }]);
        const red = redact(text);
        assert.equal(red, text.replace(secret, `[REDACTED:${kind}]`));
      });
    }
  }

  test("every kind has a sample, and every rule names the gitleaks rule it follows and its keywords", () => {
    for (const r of SECRET_RULES) {
      assert.ok(SAMPLES[r.kind].length > 0, r.kind);
      assert.ok(r.follows.length > 0, r.kind);
      assert.ok(r.keywords.length > 0 && r.keywords.every((k) => k === k.toLowerCase()), r.kind);
    }
  });

  test("a generic assignment keeps its key visible and redacts only the value", () => {
    assert.equal(redact("API_KEY: 'abc123def456'"), "API_KEY: '[REDACTED:generic-assignment]'");
    assert.equal(redact("postgres://app:" + "s3cr3t-Pa55" + "@db/app"), "postgres://app:[REDACTED:url-password]@db/app");
  });

  test("placeholders, near-misses and ordinary prose are not secrets", () => {
    for (const text of [
      "password=${DB_PASSWORD}",
      "password: <your password>",
      "the password is stored in the vault",
      "ghp_ is the prefix GitHub uses",
      "ghp_" + rep("A", 35),
      "skip-navigation sk-short",
      "Fix the login redirect bug described in #42.",
      "AKIA is an AWS prefix",
      "AKIA" + rep("Z", 15),
      "glpat-short and gldt-" + rep("a", 10),
      "task_test_" + rep("Ab1", 10),
      "sk_live_short",
      "AIza" + rep("S", 34),
      "hf_short",
      "pypi-AgEIcHlwaS5vcmc" + "short",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx",
      "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
      "xoxb-123",
      '"type": "authorized_user"',
      "Bearer token authentication is described in RFC 6750.",
      "Authorization: Bearer <token>",
      "Authorization: Bearer ${TOKEN}",
      "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
      "the bearer of this letter",
      "postgres://user:password@localhost/db",
      "postgres://user:${PGPASSWORD}@db/app",
      "https://example.com:8080/path?q=1",
      "mailto:someone@example.com",
      "git@github.com:acme/app.git",
      "Server=db;Password=;Encrypt=True",
      "Server=db;Password={0};",
      "hooks.slack.com/services/short",
      "client_secret: " + "q~",
    ]) {
      assert.deepEqual(scanSecrets(text), [], text);
    }
  });

  test("several secrets on several lines, in order", () => {
    const text = `${SAMPLES["aws-access-key-id"][0]}\n\n x ${SAMPLES["github-token"][0]} ${SAMPLES["stripe-key"][0]}`;
    assert.deepEqual(scanSecrets(text), [
      { kind: "aws-access-key-id", line: 1, column: 1 },
      { kind: "github-token", line: 3, column: 4 },
      { kind: "stripe-key", line: 3, column: 45 },
    ]);
  });

  test("tokens one separator apart are each found (a boundary character is not used up)", () => {
    const t = SAMPLES["github-token"][0]!;
    assert.equal(scanSecrets(`${t} ${t},${t}`).length, 3);
  });

  test("CRLF line endings count lines the same way", () => {
    assert.deepEqual(scanSecrets(`a\r\nb ${SAMPLES["npm-token"][0]}`), [{ kind: "npm-token", line: 2, column: 3 }]);
  });

  test("entropy is gitleaks' Shannon entropy", () => {
    assert.equal(entropy("aaaa"), 0);
    assert.equal(entropy("abcd"), 2);
  });
});

describe("hostile inputs (65,536 characters, GitHub's limit for a body; more for the longest)", () => {
  const N = 200_000;
  // [input, findings expected]: "some" where the input is itself secret-shaped (a run of token characters)
  const adversarial: [string, number | "some"][] = [
    [rep("eyJ-", N / 4), 0],
    ["eyJ" + rep("a", N) + ".eyJ", 0],
    [rep("eyJaaaaa.eyJaaaaa.", N / 18), Math.floor(N / 18)],
    [rep("-----BEGIN ", N / 11), 0],
    ["-----BEGIN" + rep(" ", N), 0],
    [rep("-----BEGIN PRIVATE KEY-----" + rep("a", 1000), N / 1027), Math.floor(N / 1027)],
    [rep("password=", N / 9), "some"],
    ["password" + rep(" ", N) + "=", 0],
    [rep("apikey:  '", N / 10), "some"],
    [rep("ghp_", N / 4), 0],
    ["ghp_" + rep("a", N), 0],
    [rep("xoxb-", N / 5), "some"],
    ["xoxb-" + rep("-", N), 1],
    [rep("sk-", N / 3), 1],
    ["sk-ant-" + rep("_", N), 1],
    [rep("aws_secret_key=", N / 15), 0],
    ["AKIA" + rep("A", N), 0],
    [rep("AIza", N / 4), 0],
    ["https://hooks.slack.com/services/T" + rep("A", N), 1],
    [rep("Bearer ", N / 7), 0],
    ["Bearer " + rep("a1", N / 2), 0],
    [rep("a://", N / 4), 0],
    ["a://" + rep(":", N) + "@", 0],
    ["a://" + rep("u", N) + ":p@", 0],
    [rep("x://u:", N / 6), 0],
    [rep(";Password=", N / 10), 0],
    [rep("AccountKey=", N / 11), 0],
    [rep("glpat-", N / 6), "some"],
    [rep("0Q~", N / 3), 0],
    [rep("a", N), 0],
    [rep("\n", N), 0],
  ];
  for (const [i, [input, expected]] of adversarial.entries()) {
    test(`hostile input #${i} (${JSON.stringify(input.slice(0, 16))}…, ${input.length} chars) gives ${expected} finding(s)`, { timeout: 60_000 }, () => {
      const found = scanSecrets(input);
      if (expected === "some") assert.ok(found.length > 0);
      else assert.equal(found.length, expected);
      const red = redact(input);
      assert.equal(red.split("[REDACTED:").length - 1, found.length);
      if (found.length === 0) assert.equal(red, input);
    });
  }
});

// The scan before its keyword test became one pass (one includes() per keyword of each rule), kept as an oracle.
interface OracleSpan {
  kind: SecretKind;
  start: number;
  end: number;
}
function oracleSpans(text: string): OracleSpan[] {
  let claimed: OracleSpan[] = [];
  const lower = text.toLowerCase();
  for (const rule of SECRET_RULES) {
    if (!rule.keywords.some((k) => lower.includes(k))) continue;
    if (!rule.re.test(text)) continue;
    const fresh: OracleSpan[] = [];
    const m = rule.re.matcher(text);
    for (let from = 0; from < text.length && m.find(from); ) {
      const start = m.start(1);
      const end = m.end(1);
      from = Math.max(end - 1, from + 1);
      if (start < 0 || end <= start || start < (fresh.at(-1)?.end ?? 0)) continue;
      if (rule.accept && !rule.accept(text.slice(start, end))) continue;
      if (claimed.some((c) => c.start < end && start < c.end)) continue;
      fresh.push({ kind: rule.kind, start, end });
    }
    claimed = [...claimed, ...fresh].sort((a, b) => a.start - b.start);
  }
  return claimed;
}
const oracleRedact = (text: string): string => {
  let out = "";
  let at = 0;
  for (const s of oracleSpans(text)) {
    out += text.slice(at, s.start) + `[REDACTED:${s.kind}]`;
    at = s.end;
  }
  return out + text.slice(at);
};

describe("the one-pass keyword test", () => {
  const samples = Object.values(SAMPLES).flatMap((xs) => xs.map((x) => x.replace(/[«»]/g, "")));
  const pieces = [
    ...samples, " ", "\n", "\r\n", "=", ": ", ";", "'", "x", "TOKEN", "Token=", "to\u212Aen=", "\u212A", "\u0130", "\u017F", "\u00df", "PASS", "pwd=", "Password=", "passwd:",
    "sk-", "sk-ant-", "SK-ANT-", "://", "https://u:", "@h", "aws", "AWS_SECRET", "xox", "xoxb-", "ghp_", "GHP_", "hf_", "eyJ", "q~", "Q~", "npm_", "bearer ", "Authorization: Basic ",
    "-----BEGIN", "-----begin rsa private key-----", "accountkey=", "SharedAccessKey=", "service_account", "a3t", "api-key", "private-key", "private_key",
    "aws ".repeat(40), "sk-".repeat(20), "tokentoken", "a1B2c3D4e5F6g7H8i9J0kLmN", "/+Ab12==",
  ];
  test("scans and redactions are those of one includes() per keyword, on random texts of keywords, samples and case quirks", { timeout: 120_000 }, () => {
    let s = 19;
    const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    let found = 0;
    for (let n = 0; n < 3_000; n++) {
      let text = "";
      const len = 1 + Math.floor(next() * 8);
      for (let k = 0; k < len; k++) text += pieces[Math.floor(next() * pieces.length)] ?? "";
      const want = oracleSpans(text);
      assert.deepEqual(scanSecrets(text).map((f) => f.kind), want.map((w) => w.kind), JSON.stringify(text));
      assert.equal(redact(text), oracleRedact(text), JSON.stringify(text));
      found += want.length;
    }
    assert.ok(found > 1_000, `only ${found} findings in the generated texts`);
  });

  test("a keyword after many hits of others still runs its rule; keywords sharing an offset are all seen", () => {
    const ghp = SAMPLES["github-token"][0]!;
    const text = `${"aws token sk- ".repeat(40)}${ghp}`;
    assert.deepEqual(scanSecrets(text).map((f) => f.kind), oracleSpans(text).map((w) => w.kind));
    assert.ok(scanSecrets(text).some((f) => f.kind === "github-token"));
    const openai = "sk-ant-" + rep("aB3_", 6); // "sk-ant-" and "sk-" at one offset: the anthropic rule, first, claims it
    assert.deepEqual(scanSecrets(openai).map((f) => f.kind), ["anthropic-api-key"]);
    assert.deepEqual(scanSecrets("x".repeat(100)), []);
    // A keyword starting inside another's hit ("glpat-" then "-----begin" from its '-'; "ghp_" then "_gitlab_session=")
    for (const [text, kind] of [
      ["glpat" + SAMPLES["private-key"][0]!, "private-key"],
      ["ghp" + SAMPLES["gitlab-token"][7]!.replace(/[«»]/g, ""), "gitlab-token"],
    ] as const) {
      assert.deepEqual(scanSecrets(text).map((f) => f.kind), [kind], text);
      assert.equal(redact(text), oracleRedact(text));
    }
  });
});
