// One thread of the policy pool (pool.ts): a PolicyEngine of its own over the bundle it was started with, evaluating
// the JSON texts the pool posts, one at a time, and answering with the validated findings or a coded error.
import { parentPort, workerData } from "node:worker_threads";
import { AgentGateError, describeError } from "../../core/errors.js";
import { PolicyEngine, type EngineOptions, type PolicyBundle } from "./engine.js";
import type { PoolReply, PoolRequest, ThreadReady, ThreadStart } from "./pool.js";

const port = parentPort;
if (!port) throw new Error("pool-thread.ts runs as a worker thread of PolicyPool");

const start = workerData as ThreadStart;
const bundle: PolicyBundle = { ...start.bundle, data: JSON.parse(start.bundle.dataJson) as unknown };
const options: EngineOptions = start.options;

let engine: PolicyEngine;
try {
  engine = await PolicyEngine.load(bundle, options);
} catch (err) {
  const e = err instanceof AgentGateError ? err : new AgentGateError("POLICY_BUNDLE_INVALID", describeError(err), "internal");
  port.postMessage({ ready: false, error: { code: e.code, message: e.message, kind: e.kind, details: e.details } } satisfies ThreadReady);
  process.exit(1);
}
port.postMessage({ ready: true, digest: engine.policy.digest, entrypoints: engine.entrypoints } satisfies ThreadReady);

let dataJson: string | undefined;
port.on("message", (req: PoolRequest) => {
  if (req.data !== undefined) dataJson = req.data;
  let reply: PoolReply;
  try {
    const d = engine.evaluateJson(req.entrypoint, req.json, { ...(dataJson === undefined ? {} : { dataJson }), decisionId: req.decisionId });
    reply = { id: req.id, deny: d.deny, warn: d.warn, ...(d.wouldDeny ? { would_deny: d.wouldDeny } : {}), ...(d.modes ? { modes: d.modes } : {}), ...(d.evidence ? { evidence: d.evidence } : {}), ...(d.excluded ? { excluded: d.excluded } : {}) };
  } catch (err) {
    const e = err instanceof AgentGateError ? err : new AgentGateError("POLICY_EVAL_FAILED", `evaluating ${req.entrypoint} failed: ${describeError(err)}`, "internal");
    reply = { id: req.id, error: { code: e.code, message: e.message, kind: e.kind, details: e.details } };
  }
  port.postMessage(reply);
});
