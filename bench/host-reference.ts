// A host reference for the load bench (bench/load.ts): a fixed, single-threaded CPU workload, the App's mix in small
// (JSON.stringify + JSON.parse of a ~20 KB object, SHA-256 over 64 KB, one P-256 ECDSA verify, small-object
// allocation), timed in a fresh child process. Its time says how fast this host is at that moment, so a reader of two
// load runs can tell a slower host (or a host that slowed during a run) from a slower App. It is only comparable
// across runs of the same workload: HOST_REFERENCE_VERSION names it, is printed with the row and saved with the
// figures, and goes up whenever the workload below changes. It is a figure to read, never a bound for a test.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const HOST_REFERENCE_VERSION = 1;

const RUNS = 3;

// Run by `node -e` (CommonJS): set-up untimed (the object, the buffer, the key and its one signature, a short warm-up
// pass), then the timed loop; prints {ms, sum}. `sum` folds every result in, so no step is optimised away, and must be
// the same in every run (the workload is deterministic).
const CHILD = `
const { createHash, generateKeyPairSync, sign, verify } = require("node:crypto");
const ITERATIONS = 600;
const doc = { id: 19, items: [] };
for (let i = 0; i < 140; i++) doc.items.push({ n: i, sha: (i * 2654435761 >>> 0).toString(16).padStart(40, "0"), path: "src/module-" + i + "/file.ts", ok: i % 3 === 0, tags: ["a" + (i % 7), "b" + (i % 11)], score: i / 7 });
const buf = Buffer.alloc(64 * 1024);
for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 7) & 0xff;
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const message = Buffer.from(JSON.stringify(doc.items[0]));
const signature = sign("sha256", message, privateKey);
let sum = 0;
function step(i) {
  const back = JSON.parse(JSON.stringify(doc));
  sum += back.items[i % 140].n;
  sum += createHash("sha256").update(buf).digest()[i % 32];
  if (!verify("sha256", message, publicKey, signature)) throw new Error("the signature did not verify");
  const small = [];
  for (let j = 0; j < 2000; j++) small.push({ j, k: j & 7, s: "x" });
  sum += small[i % 2000].k;
}
for (let i = 0; i < 20; i++) step(i);
sum = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < ITERATIONS; i++) step(i);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({ ms, sum }));
`;

/**
 * The workload, run RUNS times one after the other, each in a fresh `node` (this one's binary, no flags, no
 * NODE_OPTIONS): the median of the times measured inside the children around the workload alone (start-up not
 * counted), and each run's time.
 */
export async function hostReference(): Promise<{ ms: number; runs: number[] }> {
  const runs: number[] = [];
  let sum: number | undefined;
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", CHILD], { env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
    const out = JSON.parse(stdout) as { ms: number; sum: number };
    if (sum !== undefined && out.sum !== sum) throw new Error(`host reference: the workload is not deterministic (checksum ${out.sum}, then ${sum})`);
    sum = out.sum;
    runs.push(out.ms);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)]!, runs };
}
