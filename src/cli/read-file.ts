// A file named on the command line, read with errors a user can act on: a path that does not exist is FILE_NOT_FOUND,
// one that cannot be read (a directory, no permission) FILE_UNREADABLE, and JSON that does not parse JSON_INVALID,
// each naming the flag, the file and what it was to be. An fs error is never left to be shown as INTERNAL_ERROR.
import { readFileSync } from "node:fs";
import { AgentGateError } from "../core/errors.js";
import { jsonErrorWithoutText } from "../core/json-error.js";

const REASONS: Readonly<Record<string, string>> = {
  EISDIR: "a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a path component is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

/**
 * Runs `read` on the file `path` given with `flag` (e.g. "--input"), turning the fs errors it throws into coded ones
 * that say `what` the file was expected to be. Anything else it throws passes through unchanged.
 */
export function withFileErrors<T>(flag: string, path: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (err instanceof AgentGateError || typeof code !== "string") throw err;
    if (code === "ENOENT") throw new AgentGateError("FILE_NOT_FOUND", `${flag} ${path} does not exist; expected ${what}`, "invalid-input", { cause: err });
    throw new AgentGateError("FILE_UNREADABLE", `${flag} ${path}: could not be read (${REASONS[code] ?? code}); expected ${what}`, "invalid-input", { cause: err });
  }
}

/** The JSON document in `path` ("-": stdin), read as `flag`'s `what`. */
export function readJsonFile(flag: string, path: string, what: string): unknown {
  const text = withFileErrors(flag, path, what, () => (path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8")));
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = jsonErrorWithoutText(text, err).replace(/^expected JSON/, `expected JSON (${what})`);
    throw new AgentGateError("JSON_INVALID", `${path === "-" ? "stdin" : path}: ${why}`);
  }
}
