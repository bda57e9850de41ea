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
function loginAfter(line: string, from: number): string | undefined {
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

/** Whether `phrase` (lower-case ASCII) stands at `at` in `text`, ASCII letters compared without case. */
function phraseAt(text: string, phrase: string, at: number): boolean {
  for (let k = 0; k < phrase.length; k++) {
    let c = text.charCodeAt(at + k);
    if (c >= 65 && c <= 90) c += 32; // A-Z
    if (c !== phrase.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * The next index of `phrase` in `text` from `from`, case-insensitively, in `text`'s own indexes: never searched in a
 * lower-cased copy, whose indexes drift from the original's (`"İ".toLowerCase()` is two characters). Each look is
 * bounded by the phrase's length, so a scan stays linear.
 */
function indexOfPhrase(text: string, phrase: string, from: number): number {
  for (let i = from; i + phrase.length <= text.length; i++) if (phraseAt(text, phrase, i)) return i;
  return -1;
}

/** Every `<phrase> @login` in a PR body (at most 20), each with where it was read. */
export function bodyRequesters(body: string): Requester[] {
  const out: Requester[] = [];
  for (const phrase of PHRASES) {
    let at = indexOfPhrase(body, phrase, 0);
    while (at !== -1 && out.length < MAX_PER_TEXT) {
      const login = loginAfter(body, at + phrase.length);
      if (login) out.push({ login, source: `PR body: "${phrase}"` });
      at = indexOfPhrase(body, phrase, at + phrase.length);
    }
  }
  return out;
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
