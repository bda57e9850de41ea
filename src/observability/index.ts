// Observability and hardening for the App's server: metrics, the Octokit hook, health endpoints, log redaction and
// request body caps. Outbound timeouts live with the GitHub adapter (src/adapters/github/http.ts).
export { Metrics, FAST_BUCKETS_SECONDS, EVALUATION_BUCKETS_SECONDS } from "./metrics.js";
export type { EvaluationKind, MetricsOptions } from "./metrics.js";
export { instrumentOctokit, octokitMetricsPlugin, routeTemplate } from "./octokit.js";
export type { InstrumentOptions } from "./octokit.js";
export { Readiness, healthHandler, requestListener, DEFAULT_CHECK_TIMEOUT_MS } from "./health.js";
export type { CheckResult, HealthHandlerOptions, NodeHandler, ReadinessCheck, ReadinessReport } from "./health.js";
export { CENSOR, REDACT_PATHS, isSensitiveKey, knownSecretsScrubber, pinoOptions, redactingLogger, scrub, scrubError, scrubMessage, scrubText, secretsFromEnv } from "./logging.js";
export type { RedactingLoggerOptions, RedactionOptions } from "./logging.js";
export { DEFAULT_BODY_RATE_WINDOW_MS, DEFAULT_BODY_READ_TIMEOUT_MS, DEFAULT_MIN_BODY_BYTES_PER_SECOND, DEFAULT_UNVERIFIED_BUDGET_BYTES, MAX_WEBHOOK_PAYLOAD_BYTES, MIN_CHUNK_CHARGE_BYTES, RETRY_AFTER_SECONDS, UnverifiedBudget, clientKey, guardWebhookIntake, webhookIntake } from "./limits.js";
export type { BufferedRequest, IntakeLog, WebhookIntakeOptions } from "./limits.js";
export { CONNECTION_REFUSAL_LOG_INTERVAL_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_REQUEST_TIMEOUT_MS, boundConnections } from "./connections.js";
export type { ConnectionBoundsOptions, ConnectionCounts } from "./connections.js";
