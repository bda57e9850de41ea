// Modules that run as entries of their own (a worker thread, a child process) beside the module that starts them:
// under tsx (tests, benchmarks) the sibling is TypeScript and needs tsx's loader; from dist/ it is JavaScript.
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

export interface SiblingEntry {
  readonly url: URL;
  readonly path: string;
  /** True under tsx: the entry is a .ts file that only runs with tsx's loader registered. */
  readonly typescript: boolean;
}

/** The module `name` (without extension) next to `from` (an import.meta.url), with this module's extension. */
export function siblingEntry(from: string, name: string): SiblingEntry {
  const ext = extname(fileURLToPath(from));
  const url = new URL(`./${name}${ext}`, from);
  return { url, path: fileURLToPath(url), typescript: ext === ".ts" };
}
