// Preloaded into an App process by the load run (node --import ./bench/load-statements.mjs ...): counts the SQL
// statements the process runs, by kind, and writes them at exit to the file named by AGENT_GATE_BENCH_STATEMENTS (JSON:
// {kind: count}), and answers {statements: id} over IPC with the counts so far. On PostgreSQL it counts what the
// process sends through `pg`. On the embedded database (AGENT_GATE_DATA_DIR, no DATABASE_URL) it counts each call into
// PGlite's WebAssembly backend (execProtocolRawSync: one per statement of ours, prepared or not, and one per statement
// PGlite's own query and exec run) and times it too: the call is synchronous, so its wall time is the App thread's CPU
// spent in the database (answered as `ms`, by kind). Plain JavaScript, as bench/memory-probe.mjs.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { TextDecoder } from "node:util";

const out = process.env.AGENT_GATE_BENCH_STATEMENTS;
const embedded = process.env.AGENT_GATE_DATA_DIR !== undefined && !process.env.DATABASE_URL;

function kind(text) {
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
}

const counts = {};
const ms = {};
const kinds = new Map();
// The App sends a few dozen distinct texts: each is classified once, so the probe's own CPU (counted as the App's)
// stays out of the App CPU figure (classifying every statement was ~1.5 % of the App's samples).
function kindOf(text) {
  let k = kinds.get(text);
  if (k === undefined) {
    k = kind(text);
    if (kinds.size < 10_000) kinds.set(text, k);
  }
  return k;
}

if (out && !embedded) {
  const pg = createRequire(new URL("../package.json", import.meta.url))("pg");
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = typeof config === "string" ? config : config?.text;
    if (typeof text === "string") {
      const k = kindOf(text);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return original.call(this, config, ...rest);
  };
}

if (out && embedded) {
  // The App imports PGlite lazily; this is the same module, so its prototype is the one the App's instance uses.
  const { PGlite } = await import("@electric-sql/pglite");
  const decoder = new TextDecoder();
  const cstring = (bytes, at) => {
    const end = bytes.indexOf(0, at);
    return [decoder.decode(bytes.subarray(at, end < 0 ? bytes.length : end)), end < 0 ? bytes.length : end + 1];
  };
  // A prepared statement's name to its kind (embedded-statements.ts names them; "" is the unnamed one, parsed anew).
  const prepared = new Map();
  // The first message of a call: Parse (prepare), Bind (run a prepared statement) or Query (PGlite's exec and query).
  const kindOfCall = (bytes) => {
    const type = String.fromCharCode(bytes[0]);
    if (type === "P") {
      const [name, next] = cstring(bytes, 5);
      prepared.set(name, kindOf(cstring(bytes, next)[0]));
      return "prepare";
    }
    if (type === "B") return prepared.get(cstring(bytes, cstring(bytes, 5)[1])[0]) ?? "a statement prepared before the probe";
    if (type === "Q") return kindOf(cstring(bytes, 5)[0]);
    return `protocol message ${type}`;
  };
  const original = PGlite.prototype.execProtocolRawSync;
  PGlite.prototype.execProtocolRawSync = function (message, ...rest) {
    const k = message instanceof Uint8Array && message.length > 5 ? kindOfCall(message) : "other";
    const t0 = process.hrtime.bigint();
    try {
      return original.call(this, message, ...rest);
    } finally {
      counts[k] = (counts[k] ?? 0) + 1;
      ms[k] = (ms[k] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
}

if (out) {
  process.on("exit", () => writeFileSync(out, JSON.stringify(counts)));
  process.on("message", (msg) => {
    if (msg && typeof msg === "object" && "statements" in msg) process.send?.({ statements: msg.statements, counts: { ...counts }, ms: { ...ms } });
  });
}
