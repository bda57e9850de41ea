// The embedded database: a data directory that persists, that one process at a time may open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStorage } from "../../../src/adapters/storage/index.js";
import { sampleEvent } from "./events.js";
import { tempDir } from "./support.js";

test("the embedded log persists in its data directory and refuses a second opener", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  try {
    const s = await openStorage({ dataDir: dir.path });
    await s.audit.append(sampleEvent(1));
    await s.audit.append(sampleEvent(2));
    await assert.rejects(openStorage({ dataDir: dir.path }), { code: "STORAGE_IN_USE", message: new RegExp(`in use by process ${process.pid}`) });
    await s.close();

    const again = await openStorage({ dataDir: dir.path });
    try {
      const v = await again.audit.verify();
      assert.ok(v.ok && v.checked === 2);
      assert.equal((await again.audit.get("dec-000002"))?.seq, 2);
    } finally {
      await again.close();
    }
  } finally {
    dir.remove();
  }
});
