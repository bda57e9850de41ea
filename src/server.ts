// `npm start`: serves the App with Probot from environment configuration (see README, "Running the App").
import { run } from "probot";
import type { ApplicationFunction } from "probot";
import { agentGateApp } from "./index.js";
import { composeGate } from "./app/compose.js";
import { readEnv, readKeyRing } from "./config/env.js";
import { loadRootFile, refreshTrustedRoot } from "./adapters/sigstore/trusted-root.js";
import { builtinBundle, bundleFromFile, fetchBundle } from "./adapters/opa/bundle-source.js";

const env = readEnv();
const trustedRoot = env.AGENT_GATE_TRUSTED_ROOT
  ? loadRootFile(env.AGENT_GATE_TRUSTED_ROOT)
  : env.AGENT_GATE_TUF_CACHE
    ? (await refreshTrustedRoot({ cacheDir: env.AGENT_GATE_TUF_CACHE })).root
    : undefined;
const source = env.AGENT_GATE_POLICY_BUNDLE;
const sha = env.AGENT_GATE_POLICY_SHA256;
const bundle = !source || !sha ? builtinBundle() : source.startsWith("https://") ? await fetchBundle(source, sha) : bundleFromFile(source, sha);
const gate = await composeGate({ ...(trustedRoot ? { trustedRoot } : {}), bundle, keyRing: readKeyRing(env.AGENT_GATE_TRUSTED_KEYS) });
const appFn: ApplicationFunction = agentGateApp({ gate });
await run(appFn);
