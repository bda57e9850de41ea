// Facts derived from a trusted root's exact bytes, kept between runs of a short command (issue 19, the CLI: in a
// fresh `agent-gate verify-bundle` process, linting the root and checking its CA links were a large part of the
// verification). A fact is a pure function of the root's bytes and of the code that derived it, so it is stored under
// the sha256 of both: the root's bytes, and the running command's script (bin/code-cache.js names it by its sha256).
// What is kept: that the root passed rootlint.ts, and the paths of its CA certificates up to their roots (ca-path.ts;
// keyed there by the digest of the chain's exact DER). A failure is never kept, only passes of these exact bytes, so
// a fact can skip work but never make a different root, or a changed one, pass.
//
// Integrity: the facts live in the code cache's directory (bin/code-cache.js: $TMPDIR/agent-gate-code-cache-<uid>,
// 0700, refused when it is a link, another user's or group/world-writable). Whoever can write there can already
// replace the V8 code cache and run code as the user, so a forged fact gives them nothing they do not have. Any
// fault (unreadable, malformed, another root's or another build's file, an unwritable directory) means the work is
// done again, never an error. Files are written atomically (a temporary file renamed over the entry).
import { closeSync, constants, fstatSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../../core/digest.js";
import { caLinkFacts, seedCaLinks } from "./ca-path.js";
import type { CaLinks } from "./ca-path.js";

/** Where facts are kept and the digest of the code deriving them (bin/code-cache.js gives both). */
export interface FactsStore {
  readonly dir: string;
  readonly build: string;
}

interface FactsFile {
  readonly v: 1;
  readonly root: string;
  readonly build: string;
  readonly lint: "passed";
  readonly links: Record<string, CaLinks>;
}

const HEX = /^[0-9a-f]{16,64}$/;

const isLinks = (v: unknown): v is CaLinks =>
  Array.isArray(v) && v.length <= 16 && v.every((paths) => paths === null || (Array.isArray(paths) && paths.length <= 16 && paths.every((p) => Array.isArray(p) && p.length <= 16 && p.every((i) => Number.isInteger(i)))));

function parseFacts(bytes: Buffer, root: string, build: string): FactsFile | undefined {
  try {
    const f = JSON.parse(bytes.toString("utf8")) as Partial<FactsFile> | null;
    if (f === null || typeof f !== "object" || f.v !== 1 || f.root !== root || f.build !== build || f.lint !== "passed") return undefined;
    const links = f.links;
    if (links === null || typeof links !== "object" || Array.isArray(links)) return undefined;
    const entries = Object.entries(links);
    if (entries.length > 64 || !entries.every(([k, l]) => /^[0-9a-f]{64}$/.test(k) && isLinks(l))) return undefined;
    return f as FactsFile;
  } catch {
    return undefined;
  }
}

function readOwn(path: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 1 << 20 || (typeof process.getuid === "function" && st.uid !== process.getuid())) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The trust facts of one run: read for each root loaded, written once the command has run. */
export class RootFacts {
  // roots loaded in this run (by the sha256 of their bytes), and whether their file held the facts already
  private readonly roots = new Map<string, { readonly known: boolean; readonly links: number }>();

  constructor(private readonly store: FactsStore | undefined) {
    if (store !== undefined && (!HEX.test(store.build) || store.dir === "")) this.store = undefined;
  }

  private file(root: string): string {
    return join(this.store!.dir, `trust-facts-${root.slice(0, 32)}-${this.store!.build.slice(0, 16)}.json`);
  }

  /**
   * Whether the root of exactly these bytes is known to pass the lint (and its CA links are seeded into ca-path.ts);
   * false when nothing is known. The caller lints a root that is not known, and reports a pass with passed().
   */
  known(bytes: Buffer): boolean {
    if (this.store === undefined) return false;
    const root = sha256Hex(bytes);
    const bytesOf = readOwn(this.file(root));
    const facts = bytesOf === undefined ? undefined : parseFacts(bytesOf, root, this.store.build);
    if (facts === undefined) return false;
    const links = new Map(Object.entries(facts.links));
    seedCaLinks(links);
    this.roots.set(root, { known: true, links: links.size });
    return true;
  }

  /** Records that the root of these bytes passed the lint in this run (written by save()). */
  passed(bytes: Buffer): void {
    if (this.store !== undefined) this.roots.set(sha256Hex(bytes), { known: false, links: 0 });
  }

  /** Writes the facts of each root of this run whose file lacks some; any failure leaves things as they were. */
  save(): void {
    if (this.store === undefined || this.roots.size === 0) return;
    const links = Object.fromEntries(caLinkFacts());
    const count = Object.keys(links).length;
    for (const [root, had] of this.roots) {
      if (had.known && had.links >= count) continue;
      const facts: FactsFile = { v: 1, root, build: this.store.build, lint: "passed", links };
      const path = this.file(root);
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify(facts), { mode: 0o600, flag: "wx" });
        renameSync(tmp, path); // atomic: a reader sees the old file, the new one, or none
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing was written
        }
        continue;
      }
      // the same root's facts from earlier builds are dropped: one file per root and build
      const prefix = `trust-facts-${root.slice(0, 32)}-`;
      try {
        for (const other of readdirSync(this.store.dir)) if (other.startsWith(prefix) && other.endsWith(".json") && join(this.store.dir, other) !== path) unlinkSync(join(this.store.dir, other));
      } catch {
        // a stale file costs disk only
      }
    }
  }
}
