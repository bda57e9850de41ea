// The deployed App: Probot's server with durable intake, workers, reconciliation, health and metrics.
// `npm start` runs it from the environment (src/server.ts); the fault-injection harness and the load benchmark
// start it as separate processes the same way.
import { Probot, Server } from "probot";
import { agentGateApp } from "./index.js";
import { composeDeploymentGate, composeGate, policyEvaluator } from "./app/compose.js";
import { Intake, QUEUES, workersHoldingLocks } from "./app/intake.js";
import { readKeyRing } from "./config/env.js";
import { readAllSettings } from "./config/server-env.js";
import { loadNamedRoots, loadPinnedRoot, loadRootFile, parseRootList } from "./adapters/sigstore/trusted-root.js";
import { createVerifier } from "./adapters/sigstore/verifier.js";
import { TrustRootRefresher } from "./adapters/sigstore/root-refresher.js";
import { builtinBundle, bundleFromFile, fetchBundle } from "./adapters/opa/bundle-source.js";
import { PolicyPool } from "./adapters/opa/pool.js";
import { decisionRecorder, openStorage, poolSizeFor } from "./adapters/storage/index.js";
import { SqlGateStore } from "./adapters/storage/gate-store.js";
import { revocationStores } from "./app/revocation-trigger.js";
import { SqlConfigUses } from "./adapters/storage/config-uses.js";
import { JobQueue } from "./adapters/queue/job-queue.js";
import { budgetedOctokit, githubFetch } from "./adapters/github/octokit.js";
import { describeError } from "./core/errors.js";
import { createServer as createNetServer } from "node:net";
import { Metrics, Readiness, guardWebhookIntake, healthHandler, octokitMetricsPlugin, redactingLogger } from "./observability/index.js";

export interface RunningServer {
  readonly port: number;
  /**
   * Drains, then closes: stops taking deliveries and jobs, lets running jobs finish for `drainMs` (default 20 s,
   * inside a container's usual 30 s grace) and leaves any still running for retry, then closes the queue, the
   * policy threads and the database, in that order.
   */
  stop(opts?: { drainMs?: number }): Promise<void>;
}

export async function startServer(processEnv: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  // Every missing or invalid setting is reported at once, each with what to set.
  const { env, settings } = readAllSettings(processEnv);
  // Logs redact tokens, keys, secrets and prompts (by key, by pattern, and the process's own secret values).
  const log = await redactingLogger({ level: settings.LOG_LEVEL }, processEnv);
  const metrics = new Metrics();
  // A root file is pinned as given; with a TUF cache the root is refreshed on a schedule and the verifier swapped in place.
  const trustedRoot = env.AGENT_GATE_TRUSTED_ROOT ? loadRootFile(env.AGENT_GATE_TRUSTED_ROOT) : undefined;
  // More roots beside it (GitHub's own Sigstore instance, custom ones), each named; a certificate's CA picks its root.
  const additionalRoots = env.AGENT_GATE_TRUSTED_ROOTS ? loadNamedRoots(parseRootList(env.AGENT_GATE_TRUSTED_ROOTS)) : [];
  const refresher =
    trustedRoot === undefined && env.AGENT_GATE_TUF_CACHE
      ? await TrustRootRefresher.start({
          cacheDir: env.AGENT_GATE_TUF_CACHE,
          tuf: { ...(settings.AGENT_GATE_TUF_MIRROR ? { mirrorURL: settings.AGENT_GATE_TUF_MIRROR } : {}), ...(settings.AGENT_GATE_TUF_ROOT ? { rootPath: settings.AGENT_GATE_TUF_ROOT } : {}) },
          intervalMs: settings.AGENT_GATE_TUF_REFRESH_HOURS * 3_600_000,
          maxAgeMs: settings.AGENT_GATE_TRUST_ROOT_MAX_AGE_HOURS * 3_600_000,
          log,
          onFailure: () => metrics.trustRootRefreshFailed(),
          verifierOptions: { additionalRoots },
        })
      : undefined;
  if (!trustedRoot && !refresher) log.warn("the trusted root is the one pinned in this release and is never refreshed: set AGENT_GATE_TUF_CACHE (see docs/operations.md)");
  const trust = refresher
    ? { verifier: refresher.verifier }
    : additionalRoots.length > 0
      ? { verifier: createVerifier({ trustedRoot: trustedRoot ?? loadPinnedRoot(), additionalRoots }) }
      : trustedRoot
        ? { trustedRoot }
        : {};
  if (refresher) metrics.setTrustRootAge(() => refresher.status().ageMs / 1000);
  const source = env.AGENT_GATE_POLICY_BUNDLE;
  const sha = env.AGENT_GATE_POLICY_SHA256;
  const bundle = !source || !sha ? builtinBundle() : source.startsWith("https://") ? await fetchBundle(source, sha) : bundleFromFile(source, sha);
  // Every decision goes to the tamper-evident audit log and every delivery to the job queue: PostgreSQL with
  // DATABASE_URL (any number of processes), else the embedded database (one process).
  // PostgreSQL: a connection for each worker that may hold a head's lock, plus some for everyone else (lock-permits.ts).
  const poolSize = poolSizeFor(workersHoldingLocks(settings.AGENT_GATE_WORKERS));
  const storage = await openStorage({ databaseUrl: settings.DATABASE_URL, dataDir: env.AGENT_GATE_DATA_DIR, schema: settings.AGENT_GATE_DB_SCHEMA, poolSize });
  // One evaluator for both gates: on AGENT_GATE_POLICY_THREADS worker threads, each evaluation stopped at its deadline.
  const engine = await policyEvaluator(bundle, { threads: settings.AGENT_GATE_POLICY_THREADS, deadlineMs: settings.AGENT_GATE_POLICY_DEADLINE_MS });
  await storage.bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: Buffer.from(bundle.dataBytes).toString("utf8") });
  const store = new SqlGateStore(storage.db);
  const queue = await JobQueue.open(storage.db, {
    schema: `${settings.AGENT_GATE_DB_SCHEMA}_jobs`,
    expireInSeconds: settings.AGENT_GATE_JOB_EXPIRE_SECONDS,
    retryLimit: settings.AGENT_GATE_JOB_RETRY_LIMIT,
    retryDelaySeconds: settings.AGENT_GATE_JOB_RETRY_DELAY_SECONDS,
    retryDelayMaxSeconds: settings.AGENT_GATE_JOB_RETRY_DELAY_MAX_SECONDS,
    maintenanceIntervalSeconds: settings.AGENT_GATE_QUEUE_MAINTENANCE_SECONDS,
    onError: (err) => log.warn({ err: describeError(err) }, "job queue"),
  });
  const intake = new Intake(queue, store, {
    rejected: (r) => log.warn({ delivery: r.deliveryId, event: r.eventName, reason: r.reason }, "delivery refused (422): it can never be processed"),
    folded: (delivery, event, job) => log.debug({ delivery, event, job }, "folded into a job of its head that waits to start"),
    evaluated: (job, r) => {
      metrics.evaluated(job.trigger.kind, r.outcome);
      if (r.outcome === "evaluated") metrics.concluded(r.transient ? "failure (retrying)" : r.conclusion);
      if (r.transient) metrics.jobRetried("evaluate");
      if (r.error !== undefined) log.warn({ repo: `${job.trigger.owner}/${job.trigger.repo}`, sha: job.trigger.headSha, err: r.error }, "evaluation failed");
    },
    deployed: (_job, r) => {
      metrics.evaluated("deployment", "evaluated");
      if (r.error !== undefined) log.warn({ decision: r.decisionId, state: r.state, err: r.error }, "deployment rejected on an error");
    },
    failed: (queueName, err, retryCount) => {
      metrics.jobFailed(queueName);
      log.warn({ queue: queueName, retryCount, err: describeError(err) }, "job failed; it is retried");
    },
  });
  metrics.setQueueDepth(() => queue.depth(QUEUES));
  const onDecision = decisionRecorder(storage.audit, { policy: engine.policy });
  const gate = await composeGate({
    ...trust,
    engine,
    appId: settings.APP_ID,
    keyRing: readKeyRing(env.AGENT_GATE_TRUSTED_KEYS),
    onDecision,
    auditHead: () => storage.audit.witnessHead(),
    history: storage, // config-change impact analysis over the recorded decisions
    store,
    observe: { verification: (s, outcome) => metrics.observeVerification(outcome, s), policy: (s) => metrics.observePolicy("agent_gate/pull_request/decision", s) },
  });
  // The deployment protection rule: the PR gate's decisions come from the same audit log; its own are recorded there.
  const deploymentGate = await composeDeploymentGate({
    ...trust,
    engine,
    auditLog: storage.audit,
    appId: settings.APP_ID,
    onDecision,
    auditHead: () => storage.audit.witnessHead(),
    // A recorded verdict made under another config is judged again, and recorded, before the deployment is answered.
    rejudge: (github, at) => gate.rejudge(github, at),
  });
  const timeoutMs = settings.AGENT_GATE_GITHUB_TIMEOUT_MS;
  // Every outbound GitHub request has a deadline, body included; a hung connection becomes a retried, then a
  // transient, failure that names the request.
  const fetchWithDeadline = githubFetch(timeoutMs); // over undici's request(), JSON parsed natively (#19)
  const Octokit = budgetedOctokit({
    fetch: fetchWithDeadline, // installation clients too (Probot does not pass its `request.fetch` to them)
    plugins: [octokitMetricsPlugin(metrics)],
    retries: settings.AGENT_GATE_GITHUB_RETRIES,
    retryBaseMs: 250,
    maxRetryAfterSeconds: settings.AGENT_GATE_GITHUB_MAX_RETRY_AFTER_SECONDS,
    writeIntervalMs: settings.AGENT_GATE_WRITE_INTERVAL_MS,
  });
  const server = new Server({
    host: settings.HOST,
    // Probot reads a port of 0 as its default 3000: PORT=0 (any free port) is resolved here.
    port: settings.PORT === 0 ? await freePort(settings.HOST) : settings.PORT,
    webhookPath: settings.WEBHOOK_PATH,
    log,
    // The Server builds its Probot with its own `request` over Probot.defaults' (an absent one erased the fetch
    // below): given here, it reaches Probot's app-token requests too.
    request: { fetch: fetchWithDeadline },
    Probot: Probot.defaults({
      appId: settings.APP_ID,
      privateKey: settings.privateKey,
      secret: settings.WEBHOOK_SECRET,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      ...(settings.REDIS_URL ? { redisConfig: settings.REDIS_URL } : {}),
      log,
      Octokit,
      request: { fetch: fetchWithDeadline },
    }),
    enableStaticFiles: false,
  });
  await server.load(
    agentGateApp({
      gate,
      deploymentGate,
      appId: settings.APP_ID,
      ownersWithoutOrgRepo: settings.AGENT_GATE_OWNERS_WITHOUT_ORG_REPO,
      onEvent: (name, action) => metrics.eventReceived(name, action),
      revocations: revocationStores(storage.db),
      configUses: new SqlConfigUses(storage.db),
      durable: {
        intake,
        concurrency: settings.AGENT_GATE_WORKERS,
        reconcileEverySeconds: settings.AGENT_GATE_RECONCILE_SECONDS,
        reconcileBudget: settings.AGENT_GATE_RECONCILE_BUDGET,
        stateRetentionDays: settings.AGENT_GATE_STATE_RETENTION_DAYS,
      },
    }),
  );
  // Readiness: the database answers and the queue takes work; liveness while the event loop runs; Prometheus text.
  const readiness = new Readiness()
    .register("database", () => storage.db.query("SELECT 1"))
    .register("queue", () => {
      if (!queue.running) throw new Error("the job queue is stopped");
    });
  // ...and the trusted root is younger than AGENT_GATE_TRUST_ROOT_MAX_AGE_HOURS (503 naming its age and the last error).
  if (refresher) readiness.register("trusted_root", refresher.check);
  server.addHandler(healthHandler({ readiness, metrics, ...(settings.AGENT_GATE_METRICS_TOKEN ? { metricsToken: settings.AGENT_GATE_METRICS_TOKEN } : {}) }));
  const http = await server.start();
  // Deliveries are signature-checked as they stream in, within a byte budget for all connections; only verified
  // bodies reach Probot, and a refused one is logged in one line without its payload.
  guardWebhookIntake(http, { secret: settings.WEBHOOK_SECRET, path: settings.WEBHOOK_PATH, log });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : settings.PORT;
  let stopping: Promise<void> | undefined;
  return {
    port,
    stop: (opts = {}) =>
      (stopping ??= (async () => {
        readiness.setDraining();
        refresher?.stop();
        await server.stop();
        // The pool closes only after every job has finished or been left for retry, and pg-boss's last writes landed.
        await queue.stop(true, opts.drainMs ?? 20_000);
        if (engine instanceof PolicyPool) await engine.close();
        await storage.close();
      })()),
  };
}


/** A port the system has free on `host` now (PORT=0), found by binding it once. */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen({ port: 0, host }, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolvePort(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}
