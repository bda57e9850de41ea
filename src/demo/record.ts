// `agent-gate demo --record`: the demo's decisions go to the embedded audit log, as the App's do by default (the same
// store, recorder and bundle store as app-server.ts), so `audit verify | show | replay` and `config impact` can be
// tried on them at once. One policy engine for every scenario; its bundle is stored by digest for replay.
import { PolicyEngine } from "../adapters/opa/engine.js";
import { builtinBundle } from "../adapters/opa/bundle-source.js";
import { decisionRecorder, openStorage, type Storage } from "../adapters/storage/index.js";

/** Where `demo --record` keeps its log unless told otherwise (apart from the App's default .agent-gate/data). */
export const DEMO_DATA_DIR = ".agent-gate/demo";

export interface DemoRecorder {
  readonly storage: Storage;
  readonly engine: PolicyEngine;
  readonly onDecision: ReturnType<typeof decisionRecorder>;
  /** The log's head before a check run is completed: the witness its footer carries (docs/audit.md). */
  readonly auditHead: () => Promise<{ seq: number; hash: string }>;
  close(): Promise<void>;
}

export async function openDemoRecorder(dataDir: string = DEMO_DATA_DIR): Promise<DemoRecorder> {
  const storage = await openStorage({ dataDir });
  try {
    const bundle = builtinBundle();
    const engine = await PolicyEngine.load(bundle);
    await storage.bundles.put({ digest: engine.policy.digest, revision: bundle.revision, wasm: bundle.wasm, data: Buffer.from(bundle.dataBytes).toString("utf8") });
    return { storage, engine, onDecision: decisionRecorder(storage.audit, { policy: engine.policy }), auditHead: () => storage.audit.witnessHead(), close: () => storage.close() };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
