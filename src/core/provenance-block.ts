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

export interface FoundBundle {
  readonly json: string;
  readonly source: BlockSource;
}

export interface BlockProblem {
  readonly source: BlockSource;
  readonly message: string;
}

const BLOCK = /<!--[ \t]*agent-gate:provenance[ \t]+v(\d+)[ \t]*\r?\n([A-Za-z0-9+/=\s]*?)-->/g;
const OPENER = /<!--[ \t]*agent-gate:provenance\b/g;

export function renderProvenanceBlock(bundleJson: string): string {
  const b64 = Buffer.from(bundleJson, "utf8").toString("base64").replace(/.{1,76}/g, "$&\n");
  return `<!-- agent-gate:provenance v1\n${b64}-->`;
}

/** Decoded size of unpadded-or-padded base64 without whitespace: exact for well-formed input, an upper bound otherwise. */
function decodedLength(b64: string): number {
  return Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
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
): { bundles: FoundBundle[]; problems: BlockProblem[] } {
  const bundles: FoundBundle[] = [];
  const problems: BlockProblem[] = [];
  let unreported = 0;
  const problem = (message: string): void => {
    if (problems.length < BLOCK_PROBLEMS_MAX) problems.push({ source, message });
    else unreported++;
  };
  const openers = [...text.matchAll(OPENER)].length;
  let matched = 0;
  let stopped = false; // past a cap: the rest are still counted, so they are not reported as unreadable
  for (const m of text.matchAll(BLOCK)) {
    matched++;
    if (stopped) continue;
    const version = m[1] ?? "";
    const body = (m[2] ?? "").replace(/\s+/g, "");
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
    if (!json.trimStart().startsWith("{")) {
      problem("provenance block is not base64 of a JSON object; expected the base64 of a Sigstore bundle");
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
