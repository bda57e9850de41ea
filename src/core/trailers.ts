// Commit-message trailers and PR-body markers that say an agent was involved. Both are unsigned CLAIMS: anyone
// who can push a commit or edit a PR body can write them. They are read and shown, never counted as proof.

/** Every claim is unsigned: `verified: false` is part of the type so no caller can mistake one for evidence. */
interface ClaimBase {
  readonly verified: false;
  readonly source: "commit-trailer" | "pr-body";
  readonly raw: string; // the line as written (trailer value or marker text), for display as inert text
}

export interface Trailer {
  readonly key: string; // as written
  readonly value: string; // continuation lines joined with a single space
}

export type TrailerClaim =
  | (ClaimBase & { readonly kind: "co-authored-by"; readonly name: string; readonly email?: string })
  | (ClaimBase & { readonly kind: "signed-off-by"; readonly name: string; readonly email?: string })
  | (ClaimBase & { readonly kind: "assisted-by"; readonly agent: string; readonly model?: string; readonly tools: readonly string[] })
  | (ClaimBase & { readonly kind: "generated-by"; readonly generator: string });

export type BodyMarkerClaim = ClaimBase & {
  readonly kind: "body-marker";
  readonly agent: string; // stable agent key, e.g. "claude-code", "devin"
  readonly requestedBy?: string; // login claimed as the human who asked, without "@"
};

export type Claim = TrailerClaim | BodyMarkerClaim;

// Every scan below is hand-written and linear in the message: a commit message can be megabytes and a trailer
// value anything (a quadratic regex over a value of spaces once took 15 s on 200 K spaces).

const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isKeyChar = (c: number): boolean => isAlnum(c) || c === 45; // [A-Za-z0-9-]
const isBlank = (c: number): boolean => c === 32 || c === 9; // [ \t]
// Characters JavaScript's `.` does not match: a trailer line holding one is not a trailer (as before).
const isLineTerminator = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/** `Key: value` as `git interpret-trailers` reads it: key [A-Za-z0-9][A-Za-z0-9-]{0,99}, blanks, ':'; else undefined. */
function trailerLine(line: string): { key: string; value: string } | undefined {
  let i = 0;
  if (!isAlnum(line.charCodeAt(0))) return undefined;
  while (i < line.length && isKeyChar(line.charCodeAt(i))) i++;
  if (i > 100) return undefined;
  const key = line.slice(0, i);
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 58) return undefined; // ':'
  for (let j = i + 1; j < line.length; j++) if (isLineTerminator(line.charCodeAt(j))) return undefined;
  return { key, value: line.slice(i + 1).trim() };
}

const CHERRY_PICK = "(cherry picked from commit ";
// Lines git itself writes into trailer blocks; with one of them, a block may be 25 % trailers (as git decides).
function gitGenerated(line: string): boolean {
  if (line.slice(0, 15).toLowerCase() === "signed-off-by: ") return true;
  if (!line.startsWith(CHERRY_PICK) || !line.endsWith(")") || line.length < CHERRY_PICK.length + 2) return false;
  for (let j = CHERRY_PICK.length; j < line.length - 1; j++) {
    const c = line.charCodeAt(j);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false; // [0-9a-f]
  }
  return true;
}

function splitParagraphs(lines: readonly string[]): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") {
      if (current.length) paragraphs.push(current);
      current = [];
    } else current.push(line);
  }
  if (current.length) paragraphs.push(current);
  return paragraphs;
}

/**
 * The trailers of a commit message, as `git interpret-trailers --parse` finds them: the last paragraph (never the
 * subject), `Key: value` lines with continuation lines starting with whitespace; the block counts when every line
 * is a trailer, or when at least 25 % are and one of them is git-generated (Signed-off-by, cherry-picked).
 */
export function parseTrailers(message: string): Trailer[] {
  const lines = message
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((l) => !l.startsWith("#"));
  const paragraphs = splitParagraphs(lines);
  if (paragraphs.length < 2) return [];
  const block = paragraphs[paragraphs.length - 1] ?? [];
  // Continuation lines are gathered and joined once: appending to a growing string made each line cost its length.
  const trailers: { key: string; parts: string[] }[] = [];
  let trailerLines = 0;
  let otherLines = 0;
  let generated = false;
  let last: { key: string; parts: string[] } | undefined;
  for (const line of block) {
    if (last && isBlank(line.charCodeAt(0))) {
      last.parts.push(line.trim());
      continue;
    }
    const t = trailerLine(line);
    if (t) {
      last = { key: t.key, parts: [t.value] };
      trailers.push(last);
      trailerLines++;
    } else {
      last = undefined;
      otherLines++;
    }
    if (gitGenerated(line)) generated = true;
  }
  if (trailerLines === 0) return [];
  if (otherLines > 0 && !(generated && trailerLines * 4 >= trailerLines + otherLines)) return [];
  return trailers.map(({ key, parts }) => ({ key, value: parts.filter((p) => p !== "").join(" ") }));
}

/** `Name <email>` (email: no '<', '>' or whitespace), scanned from the end; else the whole value is the name. */
function nameEmail(value: string): { name: string; email?: string } {
  const end = value.trimEnd().length - 1;
  if (end >= 0 && value.charCodeAt(end) === 62) {
    // '>'
    let i = end - 1;
    while (i >= 0 && !/[<>\s]/.test(value.charAt(i))) i--;
    if (i >= 0 && i < end - 1 && value.charCodeAt(i) === 60) {
      // '<' right before a non-empty address; the name before it must be one line, as `.` required
      const name = value.slice(0, i).trimEnd();
      let oneLine = true;
      for (let j = 0; j < name.length && oneLine; j++) if (isLineTerminator(name.charCodeAt(j))) oneLine = false;
      if (oneLine) return { name: name.trim(), email: value.slice(i + 1, end) };
    }
  }
  return { name: value.trim() };
}

/** `<agent>:<model> [tool] [tool]`, also `agent:model tool1, tool2` (OpenSSF draft; kernel style). */
function assistedBy(value: string): { agent: string; model?: string; tools: string[] } {
  const colon = value.indexOf(":");
  if (colon < 0) return { agent: value.trim(), tools: [] };
  const agent = value.slice(0, colon).trim();
  const rest = value.slice(colon + 1).trim();
  const [model, ...others] = rest.split(/\s+/);
  const tools = others
    .join(" ")
    .split(/[\s,]+/)
    .map((t) => t.replace(/^\[|\]$/g, ""))
    .filter((t) => t.length > 0);
  return model ? { agent, model, tools } : { agent, tools };
}

/** The agent-relevant claims among a commit message's trailers (keys compared case-insensitively). */
export function trailerClaims(message: string): TrailerClaim[] {
  const claims: TrailerClaim[] = [];
  for (const { key, value } of parseTrailers(message)) {
    const base = { verified: false as const, source: "commit-trailer" as const, raw: `${key}: ${value}` };
    switch (key.toLowerCase()) {
      case "co-authored-by":
        claims.push({ ...base, kind: "co-authored-by", ...nameEmail(value) });
        break;
      case "signed-off-by":
        claims.push({ ...base, kind: "signed-off-by", ...nameEmail(value) });
        break;
      case "assisted-by":
        claims.push({ ...base, kind: "assisted-by", ...assistedBy(value) });
        break;
      case "generated-by":
        claims.push({ ...base, kind: "generated-by", generator: value });
        break;
    }
  }
  return claims;
}

interface MarkerRule {
  readonly agent: string;
  readonly re: RegExp; // bounded quantifiers only; group `login` is the claimed requester
}

const LOGIN = "(?<login>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))";

const MARKERS: readonly MarkerRule[] = [
  { agent: "claude-code", re: /Generated with \[?Claude Code\]?/i },
  { agent: "devin", re: new RegExp(`Requested by:?\\s{0,3}(?:\\*\\*)?@${LOGIN}`, "i") },
  { agent: "jules", re: new RegExp(`started by\\s{0,3}@${LOGIN}`, "i") },
  { agent: "copilot", re: /Copilot coding agent|<!-- START COPILOT CODING AGENT/i },
  { agent: "codex", re: /chatgpt\.com\/codex\/tasks\//i },
  { agent: "cursor", re: /cursor\.com\/(?:agents|background-agent)/i },
];

/** Agent markers in a PR body: unsigned claims, at most one per agent, the first occurrence. */
export function bodyMarkerClaims(body: string): BodyMarkerClaim[] {
  const claims: BodyMarkerClaim[] = [];
  for (const { agent, re } of MARKERS) {
    const m = re.exec(body);
    if (!m) continue;
    const requestedBy = m.groups?.["login"];
    claims.push({
      verified: false,
      source: "pr-body",
      kind: "body-marker",
      agent,
      raw: m[0].slice(0, 200),
      ...(requestedBy ? { requestedBy } : {}),
    });
  }
  return claims;
}
