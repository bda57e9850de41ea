// Rendering values that came from outside (titles, branches, logins, names, model ids, identities, paths,
// messages) so that they stay inert and visible in GitHub-flavoured markdown: no markdown, HTML, link, autolink,
// image, mention, reference, emoji shortcode, math, table break or line break they carry can take effect, and
// nothing they hold is invisible. There is one function per context:
//
// - `text()`: inline prose (a policy's message, an error). Every ASCII punctuation character that can start
//   syntax becomes a numeric character reference, which CommonMark treats as literal text; characters that
//   cannot (`.` `,` `;` `?` `/` `(` `)` `-` `=` `+` `%` `'` `"`, `_` between letters, `:` before a space) stay
//   as they are, so the source stays readable. A WORD JOINER (U+2060) follows `@`, `#` and `:` and breaks `www.`,
//   so GitHub's filters, which run on the rendered text, cannot make mentions, references, emoji or links.
// - `code()`: a code span, in which GitHub renders nothing (no HTML, links, mentions, emoji or references). The
//   fence is one backtick longer than the longest run inside, so the value cannot close it.
// - `code(value, { table: true })`: a code-styled table cell. A code span cannot hold `|` safely in a GFM table
//   (the row is split before code spans are seen, and `\|` after a backslash of the value's own is a live
//   delimiter), so a value with a `|` becomes `<code>` (allowed by GitHub's sanitiser) around `text()`'s
//   escaping, whose source holds no `|` at all; a value without one stays a code span.
// - `link()`: link text, every ASCII punctuation character a reference, for a URL agent-gate built itself.
// All of them show invisible characters, controls and line breaks as visible escapes (src/core/visible.ts) and
// bound the length.
import { visible } from "../core/visible.js";

const WORD_JOINER = "\u2060";
const reference = (c: string): string => `&#${c.charCodeAt(0)};`;

export const DEFAULT_MAX = 300;

/** Cuts to `max` code points, marking the cut with an ellipsis. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** The value as a reader should see it: invisible characters as `\u{…}` escapes, line breaks as ␤, at most `max`. */
export function clean(value: string, opts: { max?: number } = {}): string {
  return visible(value, { max: opts.max ?? DEFAULT_MAX });
}

/**
 * The cleaned value cut in the middle to at most `max` code points, at a `/` where one is near, so a URL keeps
 * its host and owner and its file and ref (`https://github.com/acme/…/agent.yml@refs/heads/main`): for a table
 * column that must stay narrow. `full` is the whole value when it was cut, to show elsewhere.
 */
export function abbreviate(value: string, max: number, fullMax = 500): { readonly shown: string; readonly full?: string } {
  const all = clean(value, { max: fullMax });
  const chars = Array.from(all);
  if (chars.length <= max) return { shown: all };
  const headMax = Math.ceil((max - 1) / 2);
  let head = headMax;
  const slash = headMax > 0 ? chars.lastIndexOf("/", headMax - 1) : -1;
  if (slash >= 0 && slash + 1 >= headMax / 2) head = slash + 1;
  const tailMax = max - 1 - head;
  let tail = tailMax;
  const from = chars.length - tailMax;
  const next = chars.indexOf("/", from);
  if (next >= 0 && chars.length - next >= tailMax / 2) tail = chars.length - next;
  return { shown: `${chars.slice(0, head).join("")}…${tail > 0 ? chars.slice(-tail).join("") : ""}`, full: all };
}

export interface InlineOptions {
  readonly table?: boolean; // the value goes into a GFM table cell
  readonly max?: number; // code points kept (default 300)
}

/** A code span holding exactly the cleaned value (in a table cell: `<code>` around escaped text). Empty: a dash. */
export function code(value: string, opts: InlineOptions = {}): string {
  const v = clean(value, opts.max !== undefined ? { max: opts.max } : {});
  if (v.length === 0) return "–";
  if (opts.table && v.includes("|")) return `<code>${escapeInline(v)}</code>`;
  let longest = 0;
  for (const run of v.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const allSpaces = /^ +$/.test(v);
  const pad = !allSpaces && (v.startsWith("`") || v.endsWith("`") || (v.startsWith(" ") && v.endsWith(" "))) ? " " : "";
  return `${fence}${pad}${v}${pad}${fence}`;
}

/** Prose from outside, escaped where it could act; renders as the same visible text, with no syntax effect. */
export function text(value: string, opts: InlineOptions = {}): string {
  return escapeInline(clean(value, opts.max !== undefined ? { max: opts.max } : {}));
}

/** A markdown link for a URL agent-gate built itself; refuses anything but plain https URLs. */
export function link(label: string, url: string): string {
  // Inside a link GitHub's filters make no mention or reference, so references alone keep the text inert.
  const shown = clean(label, { max: 100 }).replace(/[!-/:-@[-`{-~]/g, reference);
  if (!/^https:\/\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9._~!$&'*+,;=:@%/?-]*)?$/.test(url) || /[()<>\s]/.test(url)) return shown;
  return `[${shown}](${url})`;
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

// ---- inline escaping -----------------------------------------------------------------------------------------

const ALNUM = /^[A-Za-z0-9]$/;
// Inert anywhere inside a line: nothing in CommonMark, GFM or GitHub's filters starts with them once the
// characters that do (`[` `<` `:` `@` `#` `*` `_` `~` `` ` `` `|` `$` `\` `&` `!` ...) are escaped.
const INERT = new Set([".", ",", ";", "?", "/", "(", ")", "-", "=", "+", "%", "'", '"', "{", "}"]);

/**
 * Escapes a cleaned value for inline markdown. Decisions are made on ASCII only (every syntax character is
 * ASCII); other characters pass as they are (clean() already showed the invisible ones).
 */
function escapeInline(v: string): string {
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c.charCodeAt(0) > 0x7e || ALNUM.test(c)) {
      out += c;
    } else if (c === " ") {
      // A leading space could indent a block (a code block in a list item); a trailing one is kept visible.
      out += i === 0 || i === v.length - 1 ? reference(c) : c;
    } else if (i > 0 && INERT.has(c)) {
      out += c;
    } else if (c === "_" && i > 0 && ALNUM.test(v[i - 1]!) && ALNUM.test(v[i + 1] ?? "")) {
      out += c; // between letters or digits `_` can neither open nor close emphasis
    } else if (c === ":" && i > 0 && v[i + 1] === " ") {
      out += c; // no shortcode or scheme ends in a space
    } else {
      out += reference(c);
      if (c === "@" || c === "#" || c === ":") out += WORD_JOINER;
    }
  }
  // An ordered-list marker at the start of a block (`1.` `2)`): its first digit becomes a reference.
  if (/^\d+[.)]/.test(out)) out = `${reference(out[0]!)}${out.slice(1)}`;
  // `www.` autolinks on its own; a word joiner after `www` breaks it.
  return out.replace(/(www)(?=\.)/gi, `$1${WORD_JOINER}`);
}
