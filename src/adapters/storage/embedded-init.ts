// The embedded database's initdb, in a short-lived process of its own (run by openEmbedded in db.ts while it holds
// the data directory's lock): `node embedded-init.js <directory>` creates PostgreSQL's files there with PGlite,
// starts the database on them once, closes it and syncs every file to disk. Exit code 0 when done; otherwise the
// reason is on stderr. The ~800 MB initdb takes in PGlite goes with this process.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { describeError } from "../../core/errors.js";
import { embeddedStartParams, syncPath } from "./db.js";

/** PGlite starts PostgreSQL without fsync: the new files are synced here, before they are renamed into place. */
function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) syncPath(path);
  }
  syncPath(dir);
}

const target = process.argv[2];
if (!target) {
  process.stderr.write("usage: embedded-init <directory>\n");
  process.exit(2);
}
try {
  const pg = await PGlite.create(target, { startParams: embeddedStartParams(PGlite.defaultStartParams) });
  await pg.close();
  syncTree(target);
} catch (err) {
  process.stderr.write(`initialising ${target} failed: ${describeError(err)}\n`);
  process.exit(1);
}
process.exit(0);
