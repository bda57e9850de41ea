// docs/audit.md's least-privilege role on this machine's PostgreSQL: the App appends and verifies, and can
// neither change rows nor switch the append-only triggers off (it does not own the tables).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { SqlAuditLog } from "../../../src/adapters/storage/audit-log.js";
import { openPostgres } from "../../../src/adapters/storage/db.js";
import { sampleEvent } from "./events.js";
import { dropSchema, requirePostgres, uniqueSchema } from "./support.js";

/** The GRANTs exactly as the docs give them, for this schema and role. */
function docGrants(schema: string, role: string): string {
  const doc = readFileSync("docs/audit.md", "utf8");
  const block = /```sql\n(CREATE ROLE agent_gate_app[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/audit.md has the least-privilege SQL block");
  return block.replace(/^CREATE ROLE.*$/m, "").replace(/agent_gate_app/g, role).replace(/agent_gate\./g, `${schema}.`).replace(/SCHEMA agent_gate /g, `SCHEMA ${schema} `);
}

test("the App's least-privilege role appends and verifies but cannot tamper", { timeout: 60_000 }, async (t) => {
  const url = await requirePostgres(t);
  if (!url) return;
  const schema = uniqueSchema("agtp");
  const role = `agt_app_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const owner = await SqlAuditLog.open(await openPostgres(url, schema));
  let app: SqlAuditLog | undefined;
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(docGrants(schema, role));
    const appUrl = new URL(url);
    appUrl.username = role;
    app = await SqlAuditLog.open(await openPostgres(appUrl.toString(), schema));
    for (let i = 1; i <= 3; i++) await app.append(sampleEvent(i));
    assert.equal((await app.checkpoint()).seq, 3);
    const v = await app.verify();
    assert.ok(v.ok && v.checked === 3, JSON.stringify(v));
    await assert.rejects(app.db.query("UPDATE audit_records SET record = '{}' WHERE seq = 1"), /permission denied/);
    await assert.rejects(app.db.query("DELETE FROM audit_records"), /permission denied/);
    await assert.rejects(app.db.query("TRUNCATE audit_records"), /permission denied/);
    await assert.rejects(app.db.exec("ALTER TABLE audit_records DISABLE TRIGGER USER"), /must be owner/);
    await assert.rejects(app.db.query("UPDATE audit_head SET seq = 1"), /moves forward by one/);
    await assert.rejects(app.db.query("DELETE FROM policy_bundles"), /permission denied/);
  } finally {
    await app?.close();
    await owner.close();
    await dropSchema(url, schema);
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});
