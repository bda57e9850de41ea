// The source scans of test/architecture/: the files of src/ and their code without comments, and the lines a scan
// finds outside the places allowed to hold them.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

export const SRC = join(import.meta.dirname, "..", "..", "src");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every .ts file under src/, as a path relative to it with forward slashes. */
export const srcFiles = (): string[] => walk(SRC).map((p) => relative(SRC, p).split(sep).join("/"));

/** The code without comments (a `//` after a colon or quote is a URL, not a comment). */
export function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** What `scan` finds in each file of src/ outside `allowedDirs` and `exceptions`, as "src/FILE: finding". */
export function offenders(scan: (text: string) => string[], allowedDirs: readonly string[], exceptions: Readonly<Record<string, string>>): string[] {
  return srcFiles()
    .filter((f) => !allowedDirs.some((d) => f.startsWith(d)) && !(f in exceptions))
    .flatMap((f) => scan(readFileSync(join(SRC, f), "utf8")).map((found) => `src/${f}: ${found}`));
}

/** The listed exceptions that `scan` no longer finds anything in (to be taken off the list). */
export function staleExceptions(scan: (text: string) => string[], exceptions: Readonly<Record<string, string>>): string[] {
  return Object.keys(exceptions).filter((f) => scan(readFileSync(join(SRC, f), "utf8")).length === 0);
}
