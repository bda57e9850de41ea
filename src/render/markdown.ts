// Rendering values that came from outside (titles, branches, logins, model names, identities, paths, policy
// messages) so that they stay inert in GitHub-flavoured markdown: no markdown, HTML, link, image, mention,
// emoji shortcode, table break or line break they carry can take effect.
//
// - `code()` puts a value in a code span: GitHub renders nothing inside one (no HTML, links, mentions, emoji,
//   issue or commit references). The fence is one backtick longer than the longest run inside, so the value
//   cannot close it; in a table cell every `|` becomes `\|` (GFM unescapes it inside code spans too).
// - `text()` is for prose (a policy's message): every ASCII punctuation character becomes a numeric character
//   reference, which CommonMark treats as literal text, never as syntax; and a WORD JOINER (U+2060) follows `@`,
//   `:`, `#` and breaks `www.`, so GitHub's text filters cannot turn the decoded text into mentions, emoji,
//   issue references or links.
// - Both replace control characters (a newline would end a table row or start a block), bidi overrides and
//   invisible format characters (which could make a value look like something else) and bound the length.

const NEWLINE = "\u2424"; // ␤ SYMBOL FOR NEWLINE: shows where a line break was
const REPLACEMENT = "\ufffd";
const WORD_JOINER = "\u2060";

// C0/C1 controls except \n and \t, zero-width and bidi marks, line/paragraph separators, invisible operators,
// BOM, interlinear annotation marks, and lone surrogates.
// Controls and joiners are what this class is for; no `u` flag, so lone surrogates match one by one.
// eslint-disable-next-line no-control-regex, no-misleading-character-class
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const DEFAULT_MAX = 300;

/** Cuts to `max` code points, marking the cut with an ellipsis. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** The value with unsafe characters replaced: line breaks by ␤ (or a space), the rest by U+FFFD. */
export function clean(value: string, opts: { max?: number; newline?: string } = {}): string {
  const newline = opts.newline ?? NEWLINE;
  const flat = value.replace(/\r\n?|\n/g, newline).replace(/\t/g, " ").replace(UNSAFE, REPLACEMENT);
  return truncate(flat, opts.max ?? DEFAULT_MAX);
}

export interface InlineOptions {
  readonly table?: boolean; // the value goes into a GFM table cell
  readonly max?: number; // code points kept (default 300)
}

/** A code span holding exactly the cleaned value. Empty values render as a dash. */
export function code(value: string, opts: InlineOptions = {}): string {
  const v = clean(value, opts.max !== undefined ? { max: opts.max } : {});
  if (v.length === 0) return "–";
  let longest = 0;
  for (const run of v.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const allSpaces = /^ +$/.test(v);
  const pad = !allSpaces && (v.startsWith("`") || v.endsWith("`") || (v.startsWith(" ") && v.endsWith(" "))) ? " " : "";
  const body = opts.table ? v.replace(/\|/g, "\\|") : v;
  return `${fence}${pad}${body}${pad}${fence}`;
}

const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** Prose from outside, escaped character by character; renders as the same text, with no syntax effect. */
export function text(value: string, opts: InlineOptions = {}): string {
  const v = clean(value, { newline: " ", ...(opts.max !== undefined ? { max: opts.max } : {}) }).replace(/(w{3})(?=\.)/gi, `$1${WORD_JOINER}`);
  return v.replace(PUNCTUATION, (c) => `&#${c.charCodeAt(0)};${c === "@" || c === ":" || c === "#" ? WORD_JOINER : ""}`);
}

/** A markdown link for a URL agent-gate built itself; refuses anything but plain https URLs. */
export function link(label: string, url: string): string {
  if (!/^https:\/\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9._~!$&'*+,;=:@%/?-]*)?$/.test(url) || /[()<>\s]/.test(url)) return label;
  return `[${label}](${url})`;
}

/** A GFM table row from cells that are already escaped. */
export function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** A fence for a fenced code block that `content` cannot close. */
export function codeFence(content: string): string {
  let longest = 0;
  for (const run of content.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return "`".repeat(Math.max(3, longest + 1));
}
