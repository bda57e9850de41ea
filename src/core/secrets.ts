// Secret-like content in prompts and configuration: where it is and what kind, never the value itself.
// The rules follow gitleaks' published rule set (config/gitleaks.toml; each rule names the gitleaks rule id it
// follows, or says it is ours where gitleaks has none) and run on RE2 (re2js), whose matching time is linear in
// the text whatever the pattern, so a prompt or a log line cannot make a scan backtrack. As in gitleaks, a rule
// runs only on text holding one of its keywords, and a few rules ask a minimum entropy of what they find.

import { RE2JS } from "re2js";

export type SecretKind =
  | "github-token"
  | "github-pat"
  | "gitlab-token"
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "aws-bedrock-api-key"
  | "private-key"
  | "slack-token"
  | "slack-webhook"
  | "stripe-key"
  | "jwt"
  | "google-api-key"
  | "gcp-service-account"
  | "azure-client-secret"
  | "npm-token"
  | "pypi-token"
  | "huggingface-token"
  | "anthropic-api-key"
  | "openai-api-key"
  | "bearer-token"
  | "authorization-header"
  | "url-password"
  | "connection-string-password"
  | "generic-assignment";

export interface SecretFinding {
  readonly kind: SecretKind;
  readonly line: number; // 1-based
  readonly column: number; // 1-based, in UTF-16 code units
}

export interface SecretRule {
  readonly kind: SecretKind;
  /** The gitleaks rule id(s) this rule follows, or "agent-gate" for one of ours. */
  readonly follows: string;
  /** Lower-case; the rule runs only when the lower-cased text holds one of them. */
  readonly keywords: readonly string[];
  /** RE2 syntax; group 1 is the secret: what a finding points at and what redaction replaces. */
  readonly pattern: string;
  /** A last check on the secret (entropy, placeholders); linear in its length. */
  readonly accept?: (secret: string) => boolean;
}

// JavaScript's `\s` (RE2's covers ASCII only): a value stops at any of these, as it did with RegExp.
const WS = String.raw`\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}`;
// RE2 has no lookbehind by default: a leading group consumes the character before a token instead, and the
// scan resumes at the last character of the previous secret, so a separator it ends with still counts.
const NOT_AFTER_WORD = "(?:^|[^A-Za-z0-9_])";
const NOT_AFTER_ALNUM = "(?:^|[^A-Za-z0-9])";

/** Shannon entropy in bits per character, as gitleaks computes it. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...s].length;
  for (const c of counts.values()) h -= (c / n) * Math.log2(c / n);
  return h;
}

const PLACEHOLDER = /^(?:password|passwd|pass|pwd|secret|changeme|token|x+|\*+|\.+)$/i; // anchored, one class a branch
const hasDigitAndLetter = (s: string): boolean => /[0-9]/.test(s) && /[A-Za-z]/.test(s);

// Order matters: the first rule to claim a span wins, so specific kinds precede generic ones.
export const SECRET_RULE_DEFINITIONS: readonly SecretRule[] = [
  {
    kind: "private-key",
    follows: "private-key",
    keywords: ["-----begin"],
    // The END line is optional: a key cut short is still a key (gitleaks requires 64 characters and the END).
    pattern: String.raw`(?i)(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[^-]*(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?)`,
  },
  { kind: "github-pat", follows: "github-fine-grained-pat", keywords: ["github_pat_"], pattern: String.raw`${NOT_AFTER_WORD}(github_pat_[A-Za-z0-9_]{22,255})` },
  {
    kind: "github-token",
    follows: "github-pat, github-oauth, github-app-token, github-refresh-token",
    keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    pattern: String.raw`${NOT_AFTER_WORD}(gh[pousr]_[A-Za-z0-9]{36,255})(?:[^A-Za-z0-9]|$)`,
  },
  {
    kind: "gitlab-token",
    follows:
      "gitlab-pat, gitlab-pat-routable, gitlab-deploy-token, gitlab-feed-token, gitlab-runner-authentication-token(-routable), gitlab-scim-token, gitlab-feature-flag-client-token, gitlab-incoming-mail-token, gitlab-kubernetes-agent-token, gitlab-oauth-app-secret, gitlab-ptt, gitlab-cicd-job-token, gitlab-rrt",
    keywords: ["glpat-", "gldt-", "glft-", "glrt-", "glsoat-", "glffct-", "glimt-", "glagent-", "gloas-", "glptt-", "glcbt-", "gr1348941"],
    pattern: String.raw`${NOT_AFTER_WORD}((?:glpat|gldt|glft|glrt|glsoat|glffct)-[0-9A-Za-z_-]{20,300}(?:\.[0-9a-z]{9})?|glimt-[0-9A-Za-z_-]{25}|glagent-[0-9A-Za-z_-]{50}|gloas-[0-9A-Za-z_-]{64}|glptt-[0-9a-f]{40}|glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}|GR1348941[0-9A-Za-z_-]{20})`,
  },
  { kind: "gitlab-token", follows: "gitlab-session-cookie", keywords: ["_gitlab_session="], pattern: String.raw`_gitlab_session=([0-9a-z]{32})` },
  {
    kind: "slack-webhook",
    follows: "slack-webhook-url",
    keywords: ["hooks.slack.com"],
    pattern: String.raw`((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{30,250})`,
  },
  {
    kind: "slack-token",
    follows: "slack-bot-token, slack-user-token, slack-legacy-*, slack-config-access-token, slack-config-refresh-token",
    keywords: ["xox"],
    pattern: String.raw`${NOT_AFTER_ALNUM}(xox[abposre](?:\.xox[bp])?-[A-Za-z0-9-]{10,250})`,
  },
  { kind: "slack-token", follows: "slack-app-token", keywords: ["xapp-"], pattern: String.raw`(?i)${NOT_AFTER_ALNUM}(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)` },
  {
    kind: "stripe-key",
    follows: "stripe-access-token",
    keywords: ["sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod"],
    pattern: String.raw`${NOT_AFTER_WORD}((?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99})(?:[^A-Za-z0-9]|$)`,
  },
  {
    kind: "aws-access-key-id",
    follows: "aws-access-token",
    keywords: ["akia", "asia", "abia", "acca", "a3t"],
    pattern: String.raw`(?:^|[^A-Z0-9])((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?:[^A-Z0-9]|$)`,
  },
  {
    kind: "aws-bedrock-api-key",
    follows: "aws-amazon-bedrock-api-key-long-lived, aws-amazon-bedrock-api-key-short-lived",
    keywords: ["absk", "bedrock-api-key-"],
    pattern: String.raw`${NOT_AFTER_WORD}(ABSK[A-Za-z0-9+/]{109,269}={0,2}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%_-]*)`,
  },
  {
    kind: "aws-secret-access-key",
    follows: "agent-gate (gitleaks has no AWS secret key rule by default)",
    keywords: ["aws"],
    pattern: String.raw`(?i)aws_?secret_?(?:access_?)?key["']?[ \t]{0,5}[:=][ \t]{0,5}["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`,
  },
  { kind: "google-api-key", follows: "gcp-api-key", keywords: ["aiza"], pattern: String.raw`(?:^|[^A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)` },
  { kind: "gcp-service-account", follows: "gcp-service-account", keywords: ["service_account"], pattern: String.raw`("type"[ \t]*:[ \t]*"service_account")` },
  {
    kind: "azure-client-secret",
    follows: "azure-ad-client-secret",
    keywords: ["q~"],
    pattern: String.raw`(?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])`,
    accept: (s) => entropy(s) >= 3,
  },
  { kind: "npm-token", follows: "npm-access-token", keywords: ["npm_"], pattern: String.raw`(?i)${NOT_AFTER_WORD}(npm_[a-z0-9]{36})(?:[^A-Za-z0-9]|$)` },
  {
    kind: "pypi-token",
    follows: "pypi-upload-token (and its TestPyPI form)",
    keywords: ["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
    pattern: String.raw`((?:pypi-AgEIcHlwaS5vcmc|pypi-AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000})`,
  },
  {
    kind: "huggingface-token",
    follows: "huggingface-access-token",
    keywords: ["hf_"],
    pattern: String.raw`${NOT_AFTER_WORD}(hf_[A-Za-z]{34})(?:[^A-Za-z0-9]|$)`,
    accept: (s) => entropy(s) >= 2,
  },
  { kind: "anthropic-api-key", follows: "anthropic-api-key, anthropic-admin-api-key (wider)", keywords: ["sk-ant-"], pattern: String.raw`(?:^|[^A-Za-z0-9_-])(sk-ant-[A-Za-z0-9_-]{20,250})` },
  { kind: "openai-api-key", follows: "openai-api-key (wider)", keywords: ["sk-"], pattern: String.raw`(?:^|[^A-Za-z0-9_-])(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250})` },
  {
    kind: "jwt",
    follows: "jwt",
    keywords: ["eyj"],
    pattern: String.raw`(?:^|[^A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_/\\-]{5,}\.(?:[A-Za-z0-9_/\\-]{10,}={0,2})?)`,
  },
  {
    kind: "bearer-token",
    follows: "curl-auth-header (its Bearer branch, wherever the header appears)",
    keywords: ["bearer"],
    pattern: String.raw`(?i)${NOT_AFTER_WORD}bearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)`,
    accept: (s) => hasDigitAndLetter(s) && entropy(s) >= 3,
  },
  {
    kind: "authorization-header",
    follows: "curl-auth-header (Basic and Token schemes)",
    keywords: ["authorization"],
    pattern: String.raw`(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:basic|token)[ \t]+([A-Za-z0-9._~+/-]{8,}=*)`,
    accept: (s) => entropy(s) >= 2.75,
  },
  {
    kind: "url-password",
    follows: "agent-gate (gitleaks has only service-specific URL rules such as sidekiq-sensitive-url)",
    keywords: ["://"],
    pattern: String.raw`[A-Za-z][A-Za-z0-9+.-]{0,30}://[^${WS}:/?#@"'\x60<>]{0,256}:([^${WS}/?#@"'\x60<>]{1,256})@`,
    accept: (s) => !/^[$<{%*]/.test(s) && !PLACEHOLDER.test(s),
  },
  {
    kind: "connection-string-password",
    follows: "agent-gate (ADO.NET, ODBC and Azure connection strings: Password=...; AccountKey=...)",
    keywords: ["password", "pwd", "accountkey", "sharedaccesskey"],
    pattern: String.raw`(?i)(?:^|[;"'${WS}])(?:password|pwd)[ \t]*=[ \t]*([^;"'${WS}<>{$%][^;"'${WS}<>]{2,500})[ \t]*;`,
    accept: (s) => !PLACEHOLDER.test(s),
  },
  {
    kind: "connection-string-password",
    follows: "agent-gate (Azure storage and Service Bus connection strings)",
    keywords: ["accountkey", "sharedaccesskey"],
    pattern: String.raw`(?i)(?:^|[;"'${WS}])(?:AccountKey|SharedAccessKey)[ \t]*=[ \t]*([A-Za-z0-9+/]{20,500}={0,2})`,
  },
  {
    kind: "generic-assignment",
    follows: "generic-api-key (narrower: named keys only)",
    keywords: ["password", "passwd", "pwd", "secret", "apikey", "api_key", "api-key", "token", "private_key", "private-key"],
    pattern: String.raw`(?i)${NOT_AFTER_ALNUM}(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)["']?[ \t]{0,5}[:=][ \t]{0,5}["']?([^${WS}"'\x60<>$<{*%;][^${WS}"'\x60<>]{5,199})`, // not a placeholder, nor empty before a ';'
  },
];

interface CompiledRule extends SecretRule {
  readonly re: RE2JS;
}

/** Every rule compiled once, at load: a rule RE2 refuses fails the module, never a scan. */
export const SECRET_RULES: readonly CompiledRule[] = SECRET_RULE_DEFINITIONS.map((r) => ({ ...r, re: RE2JS.compile(r.pattern) }));

interface Span {
  readonly kind: SecretKind;
  readonly start: number;
  readonly end: number;
}

/** Index of the first claimed span ending after `start` (claimed spans are sorted and disjoint). */
function firstEndingAfter(claimed: readonly Span[], start: number): number {
  let lo = 0;
  let hi = claimed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((claimed[mid]?.end ?? 0) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// The keyword test, in one pass of the lower-cased text rather than one search per keyword. It says exactly what
// `lower.includes(keyword)` says of each: the alternation (literals only, so at most one try of each per offset:
// linear) is tried longest first, so at each offset where keywords occur it finds the longest, and the others
// there are its prefixes; every such offset is visited, as the search resumes one character after a hit.
const KEYWORDS: readonly string[] = [...new Set(SECRET_RULES.flatMap((r) => r.keywords))].sort((a, b) => b.length - a.length);
const KEYWORD_INDEX = new Map(KEYWORDS.map((k, j) => [k, j]));
const KEYWORD_SEARCH = new RegExp(KEYWORDS.map((k) => k.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")).join("|"), "g");
/** For each keyword, every keyword that is a prefix of it (itself included): all present where it is. */
const KEYWORD_PREFIXES: readonly (readonly number[])[] = KEYWORDS.map((k) => KEYWORDS.flatMap((x, j) => (k.startsWith(x) ? [j] : [])));
const RULE_KEYWORDS: readonly (readonly number[])[] = SECRET_RULES.map((r) => r.keywords.map((k) => KEYWORD_INDEX.get(k) ?? -1));
/** Hits before the rest is left to includes(): a text of repeated keywords costs what it did, not a search a hit. */
const KEYWORD_HITS_MAX = 32;

/** Which keywords `lower` holds (by index in KEYWORDS), or undefined for none. */
function keywordsIn(lower: string): Uint8Array | undefined {
  const re = KEYWORD_SEARCH; // global, for its lastIndex; used only here, synchronously
  re.lastIndex = 0;
  let found: Uint8Array | undefined;
  for (let hits = 0; hits < KEYWORD_HITS_MAX; hits++) {
    const m = re.exec(lower);
    if (m === null) return found;
    found ??= new Uint8Array(KEYWORDS.length);
    for (const j of KEYWORD_PREFIXES[KEYWORD_INDEX.get(m[0]) ?? -1] ?? []) found[j] = 1;
    re.lastIndex = m.index + 1;
  }
  re.lastIndex = 0;
  found ??= new Uint8Array(KEYWORDS.length);
  for (let j = 0; j < KEYWORDS.length; j++) if (found[j] === 0 && lower.includes(KEYWORDS[j] ?? "")) found[j] = 1;
  return found;
}

function anyOf(present: Uint8Array, keywords: readonly number[]): boolean {
  for (const j of keywords) if (present[j] === 1) return true;
  return false;
}

const NO_SPANS: readonly Span[] = Object.freeze([]);

function spans(text: string): readonly Span[] {
  const present = keywordsIn(text.toLowerCase()); // for the keyword test only: its offsets are never used
  if (present === undefined) return NO_SPANS;
  let claimed: Span[] = []; // sorted by start, disjoint
  for (let r = 0; r < SECRET_RULES.length; r++) {
    const rule = SECRET_RULES[r] as CompiledRule;
    if (!anyOf(present, RULE_KEYWORDS[r] ?? [])) continue;
    if (!rule.re.test(text)) continue; // one pass of RE2's DFA, far cheaper than the search with groups below
    const fresh: Span[] = []; // this rule's spans, in order and disjoint
    const m = rule.re.matcher(text);
    for (let from = 0; from < text.length && m.find(from); ) {
      const start = m.start(1);
      const end = m.end(1);
      from = Math.max(end - 1, from + 1); // one character back at most: the scan stays linear
      if (start < 0 || end <= start || start < (fresh.at(-1)?.end ?? 0)) continue;
      if (rule.accept && !rule.accept(text.slice(start, end))) continue;
      const next = claimed[firstEndingAfter(claimed, start)];
      if (next && next.start < end) continue; // overlaps a span an earlier rule claimed
      fresh.push({ kind: rule.kind, start, end });
    }
    if (fresh.length > 0) claimed = merge(claimed, fresh);
  }
  return claimed;
}

/** Two sorted lists of disjoint spans as one sorted list, in one pass. */
function merge(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.start < y.start)) {
      out.push(x as Span);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
}

/** Secret-like content in `text`: kind and position only, so the result is safe to log and to show. */
export function scanSecrets(text: string): SecretFinding[] {
  const starts = lineStarts(text);
  return spans(text).map((s) => ({ kind: s.kind, ...position(starts, s.start) }));
}

/** `text` with every secret-like value replaced by `[REDACTED:<kind>]`. */
export function redact(text: string): string {
  let out = "";
  let at = 0;
  for (const s of spans(text)) {
    out += text.slice(at, s.start) + `[REDACTED:${s.kind}]`;
    at = s.end;
  }
  return out + text.slice(at);
}
