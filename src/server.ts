// `npm start`: serves the App from environment configuration (see README, "Running the App").
import { startServer } from "./app-server.js";
import { describeError } from "./core/errors.js";

// pg-boss completes a finished job without awaiting it; a database blip there must not end the process (the job
// expires and runs again, idempotently). Anything else unhandled is logged loudly too; evaluations themselves
// never depend on it (every path completes the check or re-queues the work).
process.on("unhandledRejection", (reason) => {
  console.error(`agent-gate: unhandled rejection: ${describeError(reason)}`);
});

try {
  const server = await startServer();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      // Running jobs finish; queued ones stay in the database for the next process.
      void server.stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
} catch (err) {
  console.error(`agent-gate could not start: ${describeError(err)}`);
  process.exit(1);
}
