// The embedded database's data directory, opened by one process at a time.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AgentGateError } from "../../core/errors.js";

/**
 * PGlite's data directory may be opened by one process at a time: a second opener would corrupt it. A lock
 * file holding the owner's pid refuses a second opener while the owner lives and is taken over once it died.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new AgentGateError(
          "STORAGE_IN_USE",
          `the embedded database in ${dir} is in use by process ${pid}; stop it, or point both at PostgreSQL with DATABASE_URL`,
          "transient",
        );
      }
      rmSync(path, { force: true }); // the owner died: take the lock over
    }
  }
  throw new AgentGateError("STORAGE_IN_USE", `could not lock the embedded database in ${dir}`, "transient");
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}
