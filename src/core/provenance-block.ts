// The agent-gate provenance block: Sigstore bundles carried in a PR description or comment inside an HTML
// comment, so GitHub renders nothing. Who posted a block does not matter; only what its signatures prove does.
//
//   <!-- agent-gate:provenance v1
//   <base64 of the bundle's JSON>
//   -->
//
// Base64 keeps the payload free of "--", which would end the comment.

/** Largest bundle one block may carry, as decoded JSON bytes. (GitHub caps a PR body or a comment at 65,536
 *  characters, so a block read from GitHub stays far below this; the cap guards other callers.) */
export const BLOCK_MAX_BYTES = 512 * 1024;
/** Most bundles read from one text (a PR body or one comment). */
export const BLOCKS_MAX = 50;
/** Most bundles read from one pull request (its body and all its comments), with a ProvenanceBudget. */
export const PR_BLOCKS_MAX = 200;
/** Most decoded bytes read from one pull request's blocks, with a ProvenanceBudget. */
export const PR_BLOCKS_MAX_BYTES = 5 * 1024 * 1024;
/** Most problems reported for one text; the rest are counted in one last line. */
export const BLOCK_PROBLEMS_MAX = 20;

/** What one pull request may still carry: pass the same budget to every extractProvenanceBlocks call of a PR. */
export class ProvenanceBudget {
  private bytesLeft: number;
  private blocksLeft: number;
  private refusedOnce = false;
  constructor(
    readonly maxBytes: number = PR_BLOCKS_MAX_BYTES,
    readonly maxBlocks: number = PR_BLOCKS_MAX,
  ) {
    this.bytesLeft = maxBytes;
    this.blocksLeft = maxBlocks;
  }
  /** Once the budget is spent, every later block is refused; the first refusal says why, once per pull request. */
  get exhausted(): boolean {
    return this.refusedOnce;
  }
  /** true after taking a block of `bytes`; else why not (the first time) or false (already said). */
  take(bytes: number): true | string | false {
    if (this.refusedOnce) return false;
    let why: string | undefined;
    if (this.blocksLeft <= 0) why = `more than ${this.maxBlocks} provenance blocks in this pull request; the rest were ignored`;
    else if (bytes > this.bytesLeft)
      why = `the provenance blocks of this pull request exceed ${this.maxBytes} bytes in total; expected at most ${this.maxBytes}, the rest were ignored`;
    if (why === undefined) {
      this.blocksLeft--;
      this.bytesLeft -= bytes;
      return true;
    }
    this.refusedOnce = true;
    return why;
  }
}

export interface BlockSource {
  readonly kind: "pr-body" | "comment";
  readonly id?: number; // comment id
}

export interface BlockBundle {
  readonly json: string;
  readonly source: BlockSource;
}

export interface BlockProblem {
  readonly source: BlockSource;
  readonly message: string;
}

// The blocks are found by a hand-written scanner, linear in the text: every "<!--" starts at most one attempt, and
// an attempt reads only characters no other attempt reads (none of them is a '<'), so a PR body of openers,
// blanks or unterminated base64 costs one pass (a body is read by single-class regexes, which cannot backtrack:
// one to find its end, then one pass to drop its spaces). It accepts exactly what this pattern did:
//   /<!--[ \t]*agent-gate:provenance[ \t]+v(\d+)[ \t]*\r?\n([A-Za-z0-9+/=\s]*?)-->/g
// and counts openers as /<!--[ \t]*agent-gate:provenance\b/g did.
const OPEN = "<!--";
const TAG = "agent-gate:provenance";

const isBlank = (c: number): boolean => c === 32 || c === 9;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordChar = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/** JavaScript's `\s` (WhiteSpace and LineTerminator), spelt out so that a newer Unicode cannot widen it. */
const JS_SPACE = String.raw`\t-\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;
// A body runs to the first character that is neither base64 nor a space; one native pass, no backtracking (a
// single class, no quantifier). Global, for its lastIndex; only readBlock uses it, synchronously.
const BODY_END = new RegExp(`[^A-Za-z0-9+/=${JS_SPACE}]`, "g");
/** A space other than "\n": a body of plain "\n"-ended lines (renderProvenanceBlock's) has none. */
const SPACE_NOT_LF = /[\t\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const SPACES = new RegExp(`[${JS_SPACE}]+`, "g");

interface RawBlock {
  readonly version: string;
  readonly body: string; // base64 with its whitespace removed
}

/** What starts at `p` (a "<!--"): a whole block, an opener that does not make one, or neither. */
function readBlock(text: string, p: number): { block: RawBlock; end: number } | "opener" | undefined {
  let i = p + OPEN.length;
  while (isBlank(text.charCodeAt(i))) i++;
  if (!text.startsWith(TAG, i)) return undefined;
  i += TAG.length;
  if (isWordChar(text.charCodeAt(i))) return undefined; // "\b": agent-gate:provenancex is not ours
  const blanks = i;
  while (isBlank(text.charCodeAt(i))) i++;
  if (i === blanks || text.charCodeAt(i) !== 118) return "opener"; // 'v'
  const digits = ++i;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i === digits) return "opener";
  const version = text.slice(digits, i);
  while (isBlank(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 13) i++;
  if (text.charCodeAt(i) !== 10) return "opener";
  const start = i + 1;
  BODY_END.lastIndex = start;
  if (!BODY_END.test(text)) return "opener"; // base64 and spaces up to the end: unterminated
  const end = BODY_END.lastIndex - 1; // the first other character: the block ends there, or the attempt does
  if (!text.startsWith("-->", end)) return "opener"; // a lone '-' included
  const spaced = text.slice(start, end); // base64 and spaces only: the body is its base64 characters
  const body = SPACE_NOT_LF.test(spaced) ? spaced.replace(SPACES, "") : spaced.replaceAll("\n", "");
  return { block: { version, body }, end: end + 3 };
}

/** Every block of `text` in order, and how many openers it holds (blocks included). Exported for its tests. */
export function scanBlocks(text: string): { blocks: RawBlock[]; openers: number } {
  const blocks: RawBlock[] = [];
  let openers = 0;
  for (let p = text.indexOf(OPEN); p >= 0; ) {
    const r = readBlock(text, p);
    if (r !== undefined) openers++;
    if (r === undefined || r === "opener") p = text.indexOf(OPEN, p + 1);
    else {
      blocks.push(r.block);
      p = text.indexOf(OPEN, r.end);
    }
  }
  return { blocks, openers };
}

/**
 * Whether `text` holds an opener of a provenance block (whole or not): exactly when extractProvenanceBlocks finds a
 * bundle or a problem in it (scanBlocks' openers > 0), found without reading any block's body past its first line.
 */
export function carriesProvenance(text: string): boolean {
  for (let p = text.indexOf(OPEN); p >= 0; p = text.indexOf(OPEN, p + 1)) if (opens(text, p)) return true;
  return false;
}

/** Whether the "<!--" at `p` opens a block, as readBlock decides it (a whole block or an "opener"), its body unread. */
function opens(text: string, p: number): boolean {
  let i = p + OPEN.length;
  while (isBlank(text.charCodeAt(i))) i++;
  return text.startsWith(TAG, i) && !isWordChar(text.charCodeAt(i + TAG.length));
}

export function renderProvenanceBlock(bundleJson: string): string {
  const b64 = Buffer.from(bundleJson, "utf8").toString("base64").replace(/.{1,76}/g, "$&\n");
  return `<!-- agent-gate:provenance v1\n${b64}-->`;
}

/** Decoded size of unpadded-or-padded base64 without whitespace: exact for well-formed input, an upper bound otherwise. */
function decodedLength(b64: string): number {
  return Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
}

/** Whether `json` parses: linear in its length, and the block's size is already capped. */
function parsesAsJson(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds every block in `text`; malformed blocks are reported, never silently dropped. Each block is capped at
 * BLOCK_MAX_BYTES and a text at BLOCKS_MAX blocks; with a `budget` shared by every text of a pull request, the
 * pull request as a whole is capped too (PR_BLOCKS_MAX blocks, PR_BLOCKS_MAX_BYTES bytes).
 */
export function extractProvenanceBlocks(
  text: string,
  source: BlockSource,
  budget?: ProvenanceBudget,
): { bundles: BlockBundle[]; problems: BlockProblem[] } {
  const bundles: BlockBundle[] = [];
  const problems: BlockProblem[] = [];
  let unreported = 0;
  const problem = (message: string): void => {
    if (problems.length < BLOCK_PROBLEMS_MAX) problems.push({ source, message });
    else unreported++;
  };
  const { blocks, openers } = scanBlocks(text);
  const matched = blocks.length;
  let stopped = false; // past a cap: the rest are still counted, so they are not reported as unreadable
  for (const { version, body } of blocks) {
    if (stopped) continue;
    if (version !== "1") {
      problem(`provenance block version v${version.length > 12 ? `${version.slice(0, 12)}...` : version} is not supported; expected v1`);
      continue;
    }
    if (body.length === 0) {
      problem("provenance block is empty; expected the base64 of a Sigstore bundle");
      continue;
    }
    const size = decodedLength(body);
    if (size > BLOCK_MAX_BYTES) {
      problem(`provenance block is ${size} bytes; expected at most ${BLOCK_MAX_BYTES}`);
      continue;
    }
    const bytes = Buffer.from(body, "base64");
    const json = bytes.toString("utf8");
    if (!json.trimStart().startsWith("{") || !parsesAsJson(json)) {
      // A block cut short still decodes (base64 is read leniently) and still starts with "{": only parsing tells.
      problem("provenance block is not base64 of a JSON object (cut short or corrupted); expected the base64 of a Sigstore bundle");
      continue;
    }
    if (bundles.length >= BLOCKS_MAX) {
      problem(`more than ${BLOCKS_MAX} provenance blocks; the rest were ignored`);
      stopped = true;
      continue;
    }
    const taken = budget ? budget.take(bytes.byteLength) : true;
    if (taken !== true) {
      if (taken !== false) problem(taken);
      stopped = true;
      continue;
    }
    bundles.push({ json, source });
  }
  if (openers > matched) {
    problems.push({ source, message: `${openers - matched} provenance block(s) could not be read: expected "<!-- agent-gate:provenance v1", base64 lines, then "-->"` });
  }
  if (unreported > 0) problems.push({ source, message: `${unreported} more provenance block problem(s) not listed` });
  return { bundles, problems };
}
