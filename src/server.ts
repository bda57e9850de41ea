// `npm start`: serves the App from environment configuration (see README, "Running the App").
import { startServer } from "./app-server.js";
import { loadEnvFile } from "./config/server-env.js";
import { describeError } from "./core/errors.js";
import { scrubMessage } from "./observability/logging.js";

// Written outside the logger, so scrubbed as a log line is: an error may quote a URL's credentials or a secret value.
const say = (line: string): void => console.error(scrubMessage(line));

// pg-boss completes a finished job without awaiting it; a database blip there must not end the process (the job
// expires and runs again, idempotently). Anything else unhandled is logged loudly too; evaluations themselves
// never depend on it (every path completes the check or re-queues the work).
process.on("unhandledRejection", (reason) => {
  say(`agent-gate: unhandled rejection: ${describeError(reason)}`);
});

try {
  // The credentials `agent-gate setup` wrote (.env, or AGENT_GATE_ENV_FILE); the environment's own values win.
  const envFile = loadEnvFile(process.env);
  if (envFile.path) say(`agent-gate: settings read from ${envFile.path} (variables already set win)`);
  if (envFile.warning) say(`agent-gate: warning: ${envFile.warning}`);
  const server = await startServer();
  // A newer agent-gate migrated the database: the server has stopped taking work and left its jobs for retry (its
  // log says why); the process ends, and a restart of this version refuses to start (STORAGE_SCHEMA_NEWER).
  void server.stoppedOnItsOwn.then((reason) => {
    say(`agent-gate: stopped: ${reason}`);
    process.exit(1);
  });
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      // A second signal: the operator wants out now (jobs still running expire and are retried elsewhere).
      if (stopping) process.exit(1);
      stopping = true;
      // Drain: running jobs finish within 20 s or are left for retry; queued ones stay for the next process; only
      // then the queue and the database close. Past 25 s something hangs: leave rather than be killed mid-write.
      setTimeout(() => {
        say("agent-gate: shutdown did not finish within 25 s; exiting");
        process.exit(1);
      }, 25_000).unref();
      void server.stop({ drainMs: 20_000 }).then(
        () => process.exit(0),
        (err: unknown) => {
          say(`agent-gate: shutdown failed: ${describeError(err)}`);
          process.exit(1);
        },
      );
    });
  }
} catch (err) {
  say(`agent-gate could not start: ${describeError(err)}`);
  process.exit(1);
}
