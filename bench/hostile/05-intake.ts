// Class 5, intake must be atomic: a delivery signed with the App's secret whose pull_request holds an array nested
// 100,000 deep (JSON.parse takes it; every recursive consumer after it overflows its stack), posted to the App's
// webhook route (Probot's middleware, durable intake on the embedded database, as `npm start` runs without
// DATABASE_URL). Bound: answered with a 4xx that names the reason, and neither a delivery row nor a job stored.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { Probot, createNodeMiddleware } from "probot";
import { agentGateApp } from "../../src/index.js";
import { composeGate } from "../../src/app/compose.js";
import { EVALUATE_QUEUE, Intake } from "../../src/app/intake.js";
import { loadScenarios } from "../../src/demo/scenario.js";
import { unthrottled } from "../../src/demo/run.js";
import { openStorage } from "../../src/adapters/storage/index.js";
import { SqlGateStore } from "../../src/adapters/storage/gate-store.js";
import { JobQueue } from "../../src/adapters/queue/job-queue.js";
import type { HostileRow } from "../hostile.js";

const CLASS = "5 atomic intake";
const DEPTH = 100_000;
const SECRET = "bench-intake-secret-0123456789";
const rss = (): number => process.resourceUsage().maxRSS / 1024;

export async function rows(): Promise<HostileRow[]> {
  const { trustedRoot, scenarios } = loadScenarios();
  const step = scenarios.find((s) => s.name === "human-pr")?.steps[0];
  if (!step) throw new Error("the human-pr demo scenario is missing");
  const storage = await openStorage({ dataDir: "memory://" });
  const jobSchema = `${storage.db.schema}_jobs`;
  const queue = await JobQueue.open(storage.db, { schema: jobSchema });
  const store = new SqlGateStore(storage.db);
  let refused = "";
  const intake = new Intake(queue, store, { rejected: (r) => (refused = r.reason) });
  const probot = new Probot({
    appId: 123456,
    privateKey: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    secret: SECRET,
    logLevel: "fatal",
    Octokit: unthrottled(),
  });
  const gate = await composeGate({ trustedRoot, store });
  // No workers: what matters is what intake answers and stores.
  const middleware = await createNodeMiddleware(agentGateApp({ gate, durable: { intake, concurrency: 0, reconcileEverySeconds: 0, reconcileBudget: 0 } }), { probot, webhooksPath: "/hooks" });
  const server = createServer((req, res) => void Promise.resolve(middleware(req, res)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const payload = step.payload as { pull_request: object };
    const text = JSON.stringify({ ...payload, pull_request: { ...payload.pull_request, deep: "@DEEP@" } });
    const body = text.replace('"@DEEP@"', `${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "bench-deep-1", "x-hub-signature-256": signature },
      body,
    });
    await res.text();
    const seconds = (performance.now() - t0) / 1000;
    const [d] = await storage.db.query<{ n: number }>("SELECT count(*)::int AS n FROM intake_deliveries");
    const [j] = await storage.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${jobSchema}.job WHERE name = $1`, [EVALUATE_QUEUE]);
    const deliveries = Number(d?.n);
    const jobs = Number(j?.n);
    const fourXX = res.status >= 400 && res.status < 500;
    return [
      {
        class: CLASS,
        input: `signed pull_request delivery, an array nested ${DEPTH.toLocaleString("en")} deep in pull_request`,
        size: `${(body.length / 1024).toFixed(0)} KB`,
        seconds,
        peakRssMb: rss(),
        outcome: `${res.status}${refused ? " (nests more than 64 deep)" : ""}; ${deliveries} delivery rows, ${jobs} jobs stored`,
        bound: "a 4xx naming the reason; nothing stored",
        met: fourXX && refused !== "" && deliveries === 0 && jobs === 0,
      },
    ];
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await queue.stop(false);
    await storage.close();
  }
}
