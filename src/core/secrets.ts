// Secret-like content in prompts and configuration: where it is and what kind, never the value itself.
// Every pattern is a literal prefix followed by bounded quantifiers over disjoint classes, so the work per
// start position is bounded by a small constant and a scan stays linear in the input (no catastrophic
// backtracking); test/core/secrets.test.ts runs each pattern over long adversarial strings.

export type SecretKind =
  | "github-token"
  | "github-pat"
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "private-key"
  | "slack-token"
  | "slack-webhook"
  | "jwt"
  | "google-api-key"
  | "npm-token"
  | "anthropic-api-key"
  | "openai-api-key"
  | "generic-assignment";

export interface SecretFinding {
  readonly kind: SecretKind;
  readonly line: number; // 1-based
  readonly column: number; // 1-based, in UTF-16 code units
}

interface Pattern {
  readonly kind: SecretKind;
  // Must carry the `d` and `g` flags; the `secret` group, when present, is the part to redact.
  readonly re: RegExp;
}

// Order matters: the first pattern to claim a span wins, so specific kinds precede generic ones.
export const SECRET_PATTERNS: readonly Pattern[] = [
  {
    kind: "private-key",
    re: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[^-]{0,16384}(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/dg,
  },
  { kind: "github-pat", re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}/dg },
  { kind: "github-token", re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9])/dg },
  { kind: "aws-access-key-id", re: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/dg },
  {
    kind: "aws-secret-access-key",
    re: /aws_?secret_?(?:access_?)?key["']?[ \t]{0,5}[:=][ \t]{0,5}["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/dgi,
  },
  { kind: "slack-webhook", re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,16}\/B[A-Z0-9]{6,16}\/[A-Za-z0-9]{16,64}/dg },
  { kind: "slack-token", re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,250}/dg },
  { kind: "anthropic-api-key", re: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,250}/dg },
  { kind: "openai-api-key", re: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}/dg },
  { kind: "google-api-key", re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/dg },
  { kind: "npm-token", re: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/dg },
  {
    kind: "jwt",
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,512}\.eyJ[A-Za-z0-9_-]{5,4096}\.[A-Za-z0-9_-]{10,1024}/dg,
  },
  {
    kind: "generic-assignment",
    re: /(?<![A-Za-z0-9])(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret|private[_-]?key)["']?[ \t]{0,5}[:=][ \t]{0,5}["']?(?<secret>(?![$<{*%])[^\s"'`<>]{6,200})/dgi,
  },
];

interface Span {
  readonly kind: SecretKind;
  readonly start: number;
  readonly end: number;
}

function spans(text: string): Span[] {
  const found: Span[] = [];
  for (const { kind, re } of SECRET_PATTERNS) {
    const r = new RegExp(re.source, re.flags); // fresh lastIndex, patterns stay shareable
    for (let m = r.exec(text); m !== null; m = r.exec(text)) {
      const whole = m.indices?.[0];
      const secret = m.indices?.groups?.["secret"] ?? whole;
      if (!secret) continue;
      const [start, end] = secret;
      if (!found.some((s) => start < s.end && s.start < end)) found.push({ kind, start, end });
      if (m[0].length === 0) r.lastIndex++;
    }
  }
  return found.sort((a, b) => a.start - b.start);
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
