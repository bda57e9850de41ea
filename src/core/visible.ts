// Characters a reader cannot see, or cannot tell from a plain space, shown instead as a visible escape such as
// `\u{202E}`: what a value holds is what a reviewer reads. Used for plain text (check-run titles) and, through
// src/render/markdown.ts, for everything rendered as markdown.
//
// Controls (C0, C1), format characters (Cf: bidi controls, zero-width characters, tag characters U+E0000-E007F,
// invisible operators), every default-ignorable code point (variation selectors U+FE00-FE0F and U+E0100-E01EF,
// Hangul fillers U+115F U+1160 U+3164 U+FFA0, U+034F, U+17B4/U+17B5, Mongolian selectors), line and paragraph
// separators, surrogates without a pair, private-use and unassigned code points (their look is anyone's guess),
// spaces other than U+0020, and blank-looking symbols (U+2800 BRAILLE PATTERN BLANK, U+1D159).
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{Default_Ignorable_Code_Point}\u2800\u{1d159}]/u;

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, "gu");

/** Any character visible() changes: an invisible one other than a plain space (line breaks are controls, Cc). */
const CHANGED = new RegExp(`(?! )${INVISIBLE.source}`, "u");

/**
 * JSON text with every invisible character but its own line breaks written as `\uXXXX` escapes: still the same
 * JSON, but a reader of the text sees them (JSON.stringify leaves format characters such as U+202E raw).
 */
export function visibleJson(json: string): string {
  return json.replace(INVISIBLE_ALL, (ch) => (ch === "\n" || ch === " " ? ch : Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")));
}

/** The escape shown for one invisible code point: `\u{202E}`. */
export function escapeCodePoint(ch: string): string {
  return `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`;
}

/** Whether `ch` (one code point, or a lone surrogate) is shown as an escape. A plain space is not. */
export function isInvisible(ch: string): boolean {
  return ch !== " " && INVISIBLE.test(ch);
}

export interface VisibleOptions {
  /** What a line break (\n, \r\n or \r) is shown as; default ␤ (U+2424 SYMBOL FOR NEWLINE). */
  readonly newline?: string;
  /** Code points kept; a longer result is cut on an escape's boundary and ends with "…". */
  readonly max?: number;
}

/**
 * The value with every invisible character replaced by its escape and line breaks by `newline`. Linear, and it
 * stops reading once `max` is passed, so an outsider's megabyte costs no more than its first `max` characters.
 */
export function visible(value: string, opts: VisibleOptions = {}): string {
  const newline = opts.newline ?? "\u2424";
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  // Most values have nothing to show otherwise and fit: one native scan instead of a piece per code point (a value of
  // at most `max` UTF-16 units has at most `max` code points).
  if (value.length <= max && !CHANGED.test(value)) return value;
  const pieces: string[] = [];
  const sizes: number[] = [];
  let used = 0;
  let cut = false;
  let previousCr = false;
  for (const ch of value) {
    if (ch === "\n" && previousCr) {
      previousCr = false;
      continue; // \r\n is one line break
    }
    previousCr = ch === "\r";
    const piece = ch === "\n" || ch === "\r" ? newline : isInvisible(ch) ? escapeCodePoint(ch) : ch;
    const size = piece === ch ? 1 : Array.from(piece).length;
    if (used + size > max) {
      cut = true;
      break;
    }
    pieces.push(piece);
    sizes.push(size);
    used += size;
  }
  if (!cut) return pieces.join("");
  // Room for the ellipsis: drop whole pieces, never half an escape.
  while (pieces.length > 0 && used + 1 > max) {
    pieces.pop();
    used -= sizes.pop() ?? 0;
  }
  return `${pieces.join("")}…`;
}
