// A running process notices a database migrated past what it knows (a newer agent-gate started beside it): once,
// with the version, and its readiness check fails from then on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LATEST_MIGRATION } from "../../../src/adapters/storage/migrations.js";
import { SchemaWatch, schemaVersion } from "../../../src/adapters/storage/schema-watch.js";
import { withMigratedDb } from "./support.js";

for (const kind of ["embedded", "postgres"] as const)
  test(`${kind}: the watch reports a newer migration once, on its timer, and fails readiness from then on`, { timeout: 60_000 }, (t) =>
    withMigratedDb(t, kind, async (db) => {
      assert.equal(await schemaVersion(db), LATEST_MIGRATION);
      const seen: Array<[number, number]> = [];
      const watch = new SchemaWatch(db, { intervalMs: 50, onNewer: (version, known) => void seen.push([version, known]) }).start();
      try {
        await watch.check();
        assert.deepEqual(seen, []);
        assert.equal(watch.readiness(), `migration ${LATEST_MIGRATION}`);
        await db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from a newer agent-gate')", [LATEST_MIGRATION + 1]);
        for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(seen, [[LATEST_MIGRATION + 1, LATEST_MIGRATION]]);
        assert.equal(watch.newer, LATEST_MIGRATION + 1);
        assert.throws(() => watch.readiness(), new RegExp(`migration ${LATEST_MIGRATION + 1}, newer than this agent-gate knows \\(${LATEST_MIGRATION}\\)`));
        await watch.check();
        assert.equal(seen.length, 1, "reported once");
      } finally {
        watch.stop();
      }
    }, "watch"),
  );
