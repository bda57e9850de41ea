// `npm start`: serves the App with Probot from environment configuration (see README, "Running the App").
import { run } from "probot";
import type { ApplicationFunction } from "probot";
import { agentGateApp } from "./index.js";
import { composeDeploymentGate, composeGate } from "./app/compose.js";
import { readEnv, readKeyRing } from "./config/env.js";
import { loadRootFile, refreshTrustedRoot } from "./adapters/sigstore/trusted-root.js";
import { builtinBundle, bundleFromFile, fetchBundle } from "./adapters/opa/bundle-source.js";
import { PolicyEngine } from "./adapters/opa/engine.js";
import { decisionRecorder, openStorage } from "./adapters/storage/index.js";

const env = readEnv();
const trustedRoot = env.AGENT_GATE_TRUSTED_ROOT
  ? loadRootFile(env.AGENT_GATE_TRUSTED_ROOT)
  : env.AGENT_GATE_TUF_CACHE
    ? (await refreshTrustedRoot({ cacheDir: env.AGENT_GATE_TUF_CACHE })).root
    : undefined;
const source = env.AGENT_GATE_POLICY_BUNDLE;
const sha = env.AGENT_GATE_POLICY_SHA256;
const bundle = !source || !sha ? builtinBundle() : source.startsWith("https://") ? await fetchBundle(source, sha) : bundleFromFile(source, sha);
// Every decision goes to the tamper-evident audit log: PostgreSQL with DATABASE_URL, else the embedded database.
const storage = await openStorage({ databaseUrl: process.env.DATABASE_URL, dataDir: env.AGENT_GATE_DATA_DIR });
const engineBundle = await PolicyEngine.load(bundle);
await storage.bundles.put({ digest: engineBundle.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: Buffer.from(bundle.dataBytes).toString("utf8") });
const gate = await composeGate({
  ...(trustedRoot ? { trustedRoot } : {}),
  bundle,
  keyRing: readKeyRing(env.AGENT_GATE_TRUSTED_KEYS),
  onDecision: decisionRecorder(storage.audit, { policy: engineBundle.policy }),
});
// The deployment protection rule: the PR gate's decisions come from the same audit log; its own are recorded there.
const appId = Number(process.env.APP_ID);
const deploymentGate = await composeDeploymentGate({
  ...(trustedRoot ? { trustedRoot } : {}),
  bundle,
  auditLog: storage.audit,
  ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}),
  onDecision: decisionRecorder(storage.audit, { policy: engineBundle.policy }),
});
const appFn: ApplicationFunction = agentGateApp({ gate, deploymentGate });
await run(appFn);
