// People named as having asked an agent for the work, in places anyone can write: PR-body lines ("Requested by:
// @alice", "started by @alice") and co-author trailers. Unsigned, so they only ever exclude someone from approving
// (separation of duties); they never exempt a commit or a person. Scanned line by line with indexOf: linear in the
// text, whatever it holds.
import type { Requester } from "./facts.js";
import type { TrailerClaim } from "./trailers.js";

/** Phrases that introduce the human who asked, as agents write them (Devin, Jules, Copilot, generic). */
const PHRASES = ["requested by", "prompted by", "started by", "triggered by", "asked by", "assigned by", "delegated by", "on behalf of", "initiated by"] as const;
const LOGIN_CHAR = /[A-Za-z0-9-]/;
const MAX_PER_TEXT = 20;

function isLogin(s: string): boolean {
  return s.length >= 1 && s.length <= 39 && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(s);
}

/** How far past a phrase a display name may run before "(@login)" (Devin: "Requested by: Jane Doe (@jane)"). */
const NAME_MAX = 80;

/**
 * `@login` right after a phrase, past at most 8 characters of punctuation, spaces and markdown emphasis; or the
 * first "(@login" within NAME_MAX characters of the same line, after a display name.
 */
export function loginAfter(line: string, from: number): string | undefined {
  let i = from;
  const stop = Math.min(line.length, from + 8);
  while (i < stop && (line[i] === ":" || line[i] === " " || line[i] === "\t" || line[i] === "*" || line[i] === "_")) i++;
  if (line[i] !== "@") {
    // A window of at most NAME_MAX characters: each phrase costs a bounded look, so the scan stays linear.
    const window = line.slice(i, from + NAME_MAX);
    const paren = window.indexOf("(@");
    const eol = window.indexOf("\n");
    if (paren === -1 || (eol !== -1 && eol < paren)) return undefined;
    i += paren + 1;
  }
  let j = i + 1;
  while (j < line.length && j - i <= 40 && LOGIN_CHAR.test(line[j]!)) j++;
  const login = line.slice(i + 1, j);
  return isLogin(login) ? login : undefined;
}

/**
 * Every phrase, case-insensitively: one pass of the regular expression engine over the text, in the text's own
 * indexes (never a lower-cased copy, whose indexes drift from the original's: `"İ".toLowerCase()` is two characters).
 * Without the `u` flag, `i` folds only ASCII letters onto ASCII letters (no "ſ" for "s", no Kelvin sign for "k").
 * A plain alternation of literals, no phrase inside or overlapping another: linear in the text.
 */
const PHRASE_RE = new RegExp(PHRASES.join("|"), "gi");

/** Every `<phrase> @login` in a PR body (at most 20, phrase by phrase in PHRASES' order), each with where it was read. */
export function bodyRequesters(body: string): Requester[] {
  const byPhrase: Requester[][] = PHRASES.map(() => []);
  let kept = 0;
  for (const m of body.matchAll(PHRASE_RE)) {
    const k = PHRASES.indexOf(m[0].toLowerCase() as (typeof PHRASES)[number]);
    const list = byPhrase[k];
    if (list === undefined || list.length >= MAX_PER_TEXT) continue;
    const login = loginAfter(body, m.index + m[0].length);
    if (login) {
      list.push({ login, source: `PR body: "${PHRASES[k]}"` });
      // Enough of every phrase to fill the cap in PHRASES' order: the rest of the text changes nothing.
      if (++kept >= MAX_PER_TEXT * PHRASES.length) break;
    }
  }
  return byPhrase.flat().slice(0, MAX_PER_TEXT);
}

const NOREPLY = "@users.noreply.github.com";

/** A GitHub account named by a co-author trailer: its noreply address (id and login), or a name that is a login. */
export function coAuthorRequester(claim: Extract<TrailerClaim, { kind: "co-authored-by" }>, commitSha: string): Requester | undefined {
  const source = `Co-authored-by of ${commitSha.slice(0, 7)}`;
  const email = (claim.email ?? "").trim().toLowerCase();
  if (email.endsWith(NOREPLY) && email.length < 120) {
    const local = email.slice(0, -NOREPLY.length);
    const plus = local.indexOf("+");
    const login = plus === -1 ? local : local.slice(plus + 1);
    const id = plus === -1 ? undefined : Number(local.slice(0, plus));
    if (isLogin(login)) return { login, ...(id !== undefined && Number.isSafeInteger(id) && id > 0 ? { id } : {}), source };
  }
  const name = claim.name.trim();
  return isLogin(name) ? { login: name, source } : undefined;
}
