// Where an App process's CPU went, from a V8 CPU profile: each busy sample is counted for the nearest frame (from the
// leaf up) that is a library or a file of ours, so a socket write or a JSON parse counts for whoever asked for it.
//   LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" LOAD_DATABASES=postgres LOAD_PROCESSES=1 npm run bench -- load
//   node bench/cpu-profile.mjs /tmp/prof/CPU.*.cpuprofile     (the largest file is the App's main thread)
// The profiler's own cost inflates every figure (~25 %); the shares are what to read. V8 samples on the wall clock: a
// thread that wakes a peer (a socket write to PostgreSQL or the stand-in, a message to the policy thread) and is then
// preempted by it on a busy 2-core host keeps the sample in that call, so those calls are shown apart ("handing work
// to a peer") and left out of the shares: measured against the process's own CPU time, they are mostly not its CPU.
import { readFileSync } from "node:fs";

const BUCKETS = [
  [/^(undici|@octokit\/(request|endpoint|core|auth-app|auth-token|graphql|request-error|plugin-.*)|json-with-bigint|universal-user-agent|octokit-auth-probot|toad-cache|before-after-hook)$/, "GitHub client (octokit, HTTP, JSON)"],
  [/^(pg|pg-protocol|pg-pool|pg-types|postgres-.*|pg-boss|@electric-sql\/pglite)$/, "database driver"],
  [/^(pino|@pinojs\/.*|pino-http|pino-std-serializers|sonic-boom)$/, "logging (pino)"],
  [/^(probot|@octokit\/webhooks.*|@octokit\/openapi-webhooks.*)$/, "webhook intake (probot, @octokit/webhooks)"],
];

const SOCKET_WRITES = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String"]);

/** A socket write (a file write, as PGlite's, is the thread's own work) or a message to another thread. */
function handsWork(id, byId, parent) {
  const name = byId.get(id).callFrame.functionName;
  if (name === "postMessage") return true;
  if (!SOCKET_WRITES.has(name)) return false;
  for (let x = parent.get(id), up = 0; x !== undefined && up < 4; x = parent.get(x), up++) if (/^(writevGeneric|writeGeneric|Socket\._writeGeneric)$/.test(byId.get(x).callFrame.functionName)) return true;
  return false;
}

function bucketOf(url) {
  const lib = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (lib) return BUCKETS.find(([re]) => re.test(lib))?.[1] ?? `library ${lib}`;
  if (/bench\/(load-statements|memory-probe)\.mjs/.test(url)) return "benchmark probes";
  const ours = /\/(?:dist|src)\/(.*?)\.[jt]s$/.exec(url)?.[1];
  return ours === undefined ? undefined : `ours: ${ours}`;
}

for (const file of process.argv.slice(2)) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map();
  p.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = new Map();
  let busy = 0;
  let idle = 0;
  let handing = 0;
  for (const [id, t] of time) {
    const leaf = byId.get(id).callFrame;
    if (leaf.functionName === "(idle)") {
      idle += t;
      continue;
    }
    if (handsWork(id, byId, parent)) {
      handing += t;
      continue;
    }
    busy += t;
    let k = leaf.functionName === "(garbage collector)" || leaf.functionName === "(program)" ? leaf.functionName : undefined;
    for (let x = id; x !== undefined && !k; x = parent.get(x)) k = bucketOf(byId.get(x).callFrame.url);
    k ??= "Node internals with no caller of ours (socket callbacks, timers, module loading)";
    total.set(k, (total.get(k) ?? 0) + t);
  }
  console.log(`${file}: busy ${(busy / 1e3).toFixed(0)} ms, idle ${(idle / 1e3).toFixed(0)} ms, handing work to a peer (socket writes, postMessage) ${(handing / 1e3).toFixed(0)} ms`);
  for (const [k, t] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(t / 1e3).toFixed(0).padStart(7)} ms ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${k}`);
}
