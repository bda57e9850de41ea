// Preloaded into an App process by the load run (node --import ./bench/load-statements.mjs ...): counts the SQL
// statements the process sends to PostgreSQL through `pg`, by kind, and writes them at exit to the file named by
// AGENT_GATE_BENCH_STATEMENTS (JSON: {kind: count}), and answers {statements: id} over IPC with the counts so far.
// Plain JavaScript, as bench/memory-probe.mjs.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const out = process.env.AGENT_GATE_BENCH_STATEMENTS;
if (out) {
  const pg = createRequire(new URL("../package.json", import.meta.url))("pg");
  const counts = {};
  const kind = (text) => {
    const t = text.replace(/\s+/g, " ").trim();
    if (/^(BEGIN|COMMIT|ROLLBACK)\b/i.test(t)) return t.split(/[ ;]/)[0].toUpperCase();
    if (/pg_advisory_(un)?lock/.test(t)) return "advisory lock/unlock";
    if (/^WITH next as/i.test(t)) return "queue: claim";
    if (/^WITH done AS \(UPDATE \S+\.job SET completed_on/i.test(t)) return "queue: claim, completing the jobs finished since";
    if (/^WITH results AS \( UPDATE \S+\.job SET completed_on/i.test(t)) return "queue: complete";
    if (/^INSERT INTO \S+\.job\b/i.test(t)) return "queue: send";
    if (/^WITH deleted_jobs AS/i.test(t)) return "queue: fail";
    const m = /^(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\s+\S+/i.exec(t);
    const table = /\b(?:FROM|INTO|UPDATE)\s+([a-z0-9_."]+)/i.exec(t)?.[1]?.split(".").pop()?.replaceAll('"', "");
    return m ? `${m[1].split(" ")[0].toUpperCase()} ${table ?? ""}`.trim() : t.slice(0, 40);
  };
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = typeof config === "string" ? config : config?.text;
    if (typeof text === "string") {
      const k = kind(text);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return original.call(this, config, ...rest);
  };
  process.on("exit", () => writeFileSync(out, JSON.stringify(counts)));
  process.on("message", (msg) => {
    if (msg && typeof msg === "object" && "statements" in msg) process.send?.({ statements: msg.statements, counts: { ...counts } });
  });
}
