// The agent-gate provenance block: Sigstore bundles carried in a PR description or comment inside an HTML
// comment, so GitHub renders nothing. Who posted a block does not matter; only what its signatures prove does.
//
//   <!-- agent-gate:provenance v1
//   <base64 of the bundle's JSON>
//   -->
//
// Base64 keeps the payload free of "--", which would end the comment.

export const BLOCK_MAX_BYTES = 512 * 1024;
export const BLOCKS_MAX = 50;

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

/** Finds every block in `text`; malformed blocks are reported, never silently dropped. */
export function extractProvenanceBlocks(text: string, source: BlockSource): { bundles: FoundBundle[]; problems: BlockProblem[] } {
  const bundles: FoundBundle[] = [];
  const problems: BlockProblem[] = [];
  const openers = [...text.matchAll(OPENER)].length;
  let matched = 0;
  for (const m of text.matchAll(BLOCK)) {
    matched++;
    const version = m[1];
    const body = (m[2] ?? "").replace(/\s+/g, "");
    if (version !== "1") {
      problems.push({ source, message: `provenance block version v${version} is not supported; expected v1` });
      continue;
    }
    if (body.length === 0) {
      problems.push({ source, message: "provenance block is empty; expected the base64 of a Sigstore bundle" });
      continue;
    }
    if (body.length > (BLOCK_MAX_BYTES * 4) / 3 + 4) {
      problems.push({ source, message: `provenance block exceeds ${BLOCK_MAX_BYTES} bytes` });
      continue;
    }
    const json = Buffer.from(body, "base64").toString("utf8");
    if (!json.trimStart().startsWith("{")) {
      problems.push({ source, message: "provenance block is not base64 of a JSON object; expected the base64 of a Sigstore bundle" });
      continue;
    }
    if (bundles.length >= BLOCKS_MAX) {
      problems.push({ source, message: `more than ${BLOCKS_MAX} provenance blocks; the rest were ignored` });
      break;
    }
    bundles.push({ json, source });
  }
  if (openers > matched) {
    problems.push({ source, message: `${openers - matched} provenance block(s) could not be read: expected "<!-- agent-gate:provenance v1", base64 lines, then "-->"` });
  }
  return { bundles, problems };
}
