// The deployed App: Probot's server with durable intake, workers, reconciliation, health and metrics.
// `npm start` runs it from the environment (src/server.ts); the fault-injection harness and the load benchmark
// start it as separate processes the same way.
import { Probot, Server } from "probot";
import { agentGateApp } from "./index.js";
import { composeDeploymentGate, composeGate, policyEvaluator } from "./app/compose.js";
import { Intake, QUEUES, workersHoldingLocks } from "./app/intake.js";
import { readAllSettings } from "./config/server-env.js";
import { loadServerFiles } from "./config/server-files.js";
import { loadPinnedRoot } from "./adapters/sigstore/trusted-root.js";
import { createVerifier } from "./adapters/sigstore/verifier.js";
import { TrustRootRefresher } from "./adapters/sigstore/root-refresher.js";
import { PolicyPool } from "./adapters/opa/pool.js";
import { decisionRecorder, openStorage, poolSizeFor } from "./adapters/storage/index.js";
import { SqlGateStore } from "./adapters/storage/gate-store.js";
import { newerMessage, SchemaWatch } from "./adapters/storage/schema-watch.js";
import { AppAuthHealth } from "./observability/app-auth.js";
import { revocationStores } from "./app/revocation-trigger.js";
import { SqlConfigUses } from "./adapters/storage/config-uses.js";
import { JobQueue } from "./adapters/queue/job-queue.js";
import { budgetedOctokit, githubFetch } from "./adapters/github/octokit.js";
import { describeError } from "./core/errors.js";
import { createServer as createNetServer } from "node:net";
import { Metrics, Readiness, boundConnections, guardWebhookIntake, healthHandler, octokitMetricsPlugin, redactingLogger } from "./observability/index.js";

export interface RunningServer {
  readonly port: number;
  /**
   * Drains, then closes: stops taking deliveries and jobs, lets running jobs finish for `drainMs` (default 20 s,
   * inside a container's usual 30 s grace) and leaves any still running for retry, then closes the queue, the
   * policy threads and the database, in that order.
   */
  stop(opts?: { drainMs?: number }): Promise<void>;
  /**
   * Resolves, with the reason, once the server has stopped by itself: a newer agent-gate migrated the database while
   * it ran (schema-watch.ts). Its process should then exit. Never resolves otherwise.
   */
  readonly stoppedOnItsOwn: Promise<string>;
}

export async function startServer(processEnv: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  // Every missing or invalid setting is reported at once, each with what to set.
  const { env, settings } = readAllSettings(processEnv);
  // Logs redact tokens, keys, secrets and prompts (by key, by pattern, and the process's own secret values).
  const log = await redactingLogger({ level: settings.LOG_LEVEL }, processEnv);
  // An opt-out in use (metrics without a token, PostgreSQL or GitHub without verified TLS), reconciliation off.
  for (const warning of settings.warnings) log.warn(warning);
  // Every file a setting names (trusted roots, keys, the policy bundle), read before anything is opened: one message
  // names each bad one. A root file is pinned as given; more roots beside it (GitHub's own Sigstore instance, custom
  // ones) are each named, and a certificate's CA picks its root. The bundle is the built-in one unless one is pinned.
  const { trustedRoot, additionalRoots, keyRing, bundle } = await loadServerFiles(env, settings);
  const metrics = new Metrics();
  // What is open so far, closed in reverse when the start fails: a failed start leaves no database open, no lock on
  // the embedded database's directory and no policy threads behind.
  const opened: Array<() => unknown> = [];
  try {
    return await assemble({ env, settings, log, metrics, trustedRoot, additionalRoots, keyRing, bundle, opened });
  } catch (err) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw err;
  }
}

type Started = Awaited<ReturnType<typeof loadServerFiles>> & {
  env: ReturnType<typeof readAllSettings>["env"];
  settings: ReturnType<typeof readAllSettings>["settings"];
  log: Awaited<ReturnType<typeof redactingLogger>>;
  metrics: Metrics;
  /** What assemble opened, for startServer to close if the start fails. */
  opened: Array<() => unknown>;
};

/** The server from its settings, files and logger: storage, policy, queue, gates, Probot, health; see startServer. */
async function assemble({ env, settings, log, metrics, trustedRoot, additionalRoots, keyRing, bundle, opened }: Started): Promise<RunningServer> {
  // With a TUF cache the root is refreshed on a schedule and the verifier swapped in place.
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
  if (refresher) opened.push(() => refresher.stop());
  if (!trustedRoot && !refresher) log.warn("the trusted root is the one pinned in this release and is never refreshed: set AGENT_GATE_TUF_CACHE (see docs/operations.md)");
  const trust = refresher
    ? { verifier: refresher.verifier }
    : additionalRoots.length > 0
      ? { verifier: createVerifier({ trustedRoot: trustedRoot ?? loadPinnedRoot(), additionalRoots }) }
      : trustedRoot
        ? { trustedRoot }
        : {};
  if (refresher) metrics.setTrustRootAge(() => refresher.status().ageMs / 1000);
  // Every decision goes to the tamper-evident audit log and every delivery to the job queue: PostgreSQL with
  // DATABASE_URL (any number of processes), else the embedded database (one process).
  // PostgreSQL: a connection for each worker that may hold a head's lock, plus some for everyone else (lock-permits.ts).
  const poolSize = poolSizeFor(workersHoldingLocks(settings.AGENT_GATE_WORKERS));
  const storage = await openStorage({ databaseUrl: settings.DATABASE_URL, dataDir: env.AGENT_GATE_DATA_DIR, schema: settings.AGENT_GATE_DB_SCHEMA, poolSize });
  opened.push(() => storage.close());
  // One evaluator for both gates: on AGENT_GATE_POLICY_THREADS worker threads, each evaluation stopped at its deadline.
  const engine = await policyEvaluator(bundle, { threads: settings.AGENT_GATE_POLICY_THREADS, deadlineMs: settings.AGENT_GATE_POLICY_DEADLINE_MS });
  if (engine instanceof PolicyPool) opened.push(() => engine.close());
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
  opened.push(() => queue.stop(false, 0));
  const intake = new Intake(queue, store, {
    rejected: (r) => log.warn({ delivery: r.deliveryId, event: r.eventName, reason: r.reason }, "delivery refused (422): it can never be processed"),
    folded: (delivery, event, job) => {
      metrics.folded(event);
      log.debug({ delivery, event, job }, "folded into a job of its head that waits to start");
    },
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
    keyRing,
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
  // Whether GitHub takes the App's credentials, as the App's own requests last found (a readiness check below).
  const appAuth = new AppAuthHealth();
  const timeoutMs = settings.AGENT_GATE_GITHUB_TIMEOUT_MS;
  // Every outbound GitHub request has a deadline, body included; a hung connection becomes a retried, then a
  // transient, failure that names the request.
  const fetchWithDeadline = githubFetch(timeoutMs); // over undici's request(), JSON parsed natively (#19)
  const Octokit = budgetedOctokit({
    fetch: fetchWithDeadline, // installation clients too (Probot does not pass its `request.fetch` to them)
    plugins: [octokitMetricsPlugin(metrics), appAuth.plugin],
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
  // Readiness: the database answers, the queue takes work and the schema is not newer than this process knows;
  // liveness while the event loop runs; Prometheus text.
  let stopOnNewer: (version: number, known: number) => void = () => undefined;
  const watch = new SchemaWatch(storage.db, { onNewer: (version, known) => stopOnNewer(version, known) });
  opened.push(() => watch.stop());
  const readiness = new Readiness()
    .register("database", () => storage.db.query("SELECT 1"))
    .register("queue", () => {
      if (!queue.running) throw new Error("the job queue is stopped");
    })
    .register("schema", watch.readiness)
    .register("github_app", appAuth.check);
  // ...and the trusted root is younger than AGENT_GATE_TRUST_ROOT_MAX_AGE_HOURS (503 naming its age and the last error).
  if (refresher) readiness.register("trusted_root", refresher.check);
  server.addHandler(healthHandler({ readiness, metrics, ...(settings.AGENT_GATE_METRICS_TOKEN ? { metricsToken: settings.AGENT_GATE_METRICS_TOKEN } : {}) }));
  const http = await server.start();
  // Deliveries are signature-checked as they stream in, within a byte budget for all connections; only verified
  // bodies reach Probot, and a refused one is logged in one line without its payload.
  guardWebhookIntake(http, { secret: settings.WEBHOOK_SECRET, path: settings.WEBHOOK_PATH, log });
  // Anyone may connect: headers within 10 s, a request within 30 s, at most 64 open connections per client address.
  boundConnections(http, { log });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : settings.PORT;
  let stopping: Promise<void> | undefined;
  const stop = (opts: { drainMs?: number; reason?: string } = {}): Promise<void> =>
    (stopping ??= (async () => {
      readiness.setDraining(opts.reason);
      watch.stop();
      refresher?.stop();
      await server.stop();
      // The pool closes only after every job has finished or been left for retry, and pg-boss's last writes landed.
      await queue.stop(true, opts.drainMs ?? 20_000);
      if (engine instanceof PolicyPool) await engine.close();
      await storage.close();
    })());
  // A newer agent-gate migrated the database (a rolling upgrade): this process's code may no longer write what that
  // schema expects. It stops taking deliveries and jobs, /readyz answers 503, its running jobs are stopped at once and
  // left for retry (by a newer process), and the process exits (server.ts).
  let stoppedItself: (reason: string) => void = () => undefined;
  const stoppedOnItsOwn = new Promise<string>((resolve) => (stoppedItself = resolve));
  stopOnNewer = (version, known) => {
    const reason = newerMessage(version, known);
    log.error({ schema: { version, known } }, reason);
    void stop({ drainMs: 0, reason }).then(
      () => stoppedItself(reason),
      (err: unknown) => stoppedItself(`${reason} (the stop failed: ${describeError(err)})`),
    );
  };
  watch.start();
  return { port, stop: (opts = {}) => stop(opts), stoppedOnItsOwn };
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
