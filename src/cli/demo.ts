// `agent-gate demo`: the real App, in-process, against recorded GitHub state for each scenario; prints the check
// run each would write. No credentials, nothing to start. `--pages DIR` also writes each as the page a reviewer sees.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_FAILED, EXIT_OK, UsageError, consoleIo, runCommand, type Io } from "./args.js";
import { loadScenarios } from "../demo/scenario.js";
import { closeScenarioAudit, inProcessApp, runScenario } from "../demo/run.js";
import { checkRunPage } from "../demo/page.js";
import { loadDeploymentScenarios, runDeploymentScenario } from "../demo/deployments.js";
import { DEMO_DATA_DIR, openDemoRecorder, type DemoRecorder } from "../demo/record.js";

const USAGE = `usage: agent-gate demo [--only NAME] [--pages DIR] [--record [--data-dir DIR]] [--quiet] [--json]

  --only NAME   run only the scenarios whose name contains NAME (an error when none does)
  --pages DIR   also write each check run as the HTML page a reviewer sees
  --record      record every decision in the embedded audit log, as the App does, for
                agent-gate audit verify | show | replay and agent-gate config impact (with the same --data-dir)
  --data-dir DIR  where --record keeps the log (default ${DEMO_DATA_DIR}; appended to when it exists)
  --quiet       titles and conclusions only
  --json        one document: {"scenarios": [...], "deployments": [...], "unexpected": N}

exit codes: 0 every scenario ended as expected, 1 some did not, 2 usage or error`;

const OPTIONS = { pages: { type: "string" }, only: { type: "string" }, quiet: { type: "boolean" }, record: { type: "boolean" }, "data-dir": { type: "string" } } as const;

export function demo(argv: string[], io: Io = consoleIo()): Promise<number> {
  return runCommand({ name: "demo", usage: USAGE, options: OPTIONS }, argv, io, async ({ values, json, emit }) => {
    const { trustedRoot, scenarios } = loadScenarios();
    const deployments = loadDeploymentScenarios();
    const only = values.only;
    const picked = (name: string): boolean => only === undefined || name.includes(only);
    const names = [...scenarios, ...deployments.scenarios].map((s) => s.name);
    if (only !== undefined && !names.some(picked)) throw new UsageError(`--only: no scenario named like ${JSON.stringify(only)}; expected one of: ${names.join(", ")}`);
    if (values["data-dir"] !== undefined && !values.record) throw new UsageError("--data-dir: expected with --record (where the demo's decisions are recorded)");
    const recorder = values.record ? await openDemoRecorder(values["data-dir"] ?? DEMO_DATA_DIR) : undefined;
    try {
      return await runAll(recorder);
    } finally {
      await closeScenarioAudit();
      await recorder?.close();
    }
    async function runAll(recorder: DemoRecorder | undefined): Promise<number> {
      const before = recorder ? await recorder.storage.audit.head() : undefined;
      const gateOptions = recorder ? { engine: recorder.engine, onDecision: recorder.onDecision, auditHead: recorder.auditHead, auditLog: recorder.storage.audit, history: recorder.storage } : {};
      // Human output only without --json: the JSON document is the whole of stdout.
      const say = (text: string): void => void (json || io.out(text));
      const report: { scenarios: unknown[]; deployments: unknown[]; unexpected: number; recorded?: unknown } = { scenarios: [], deployments: [], unexpected: 0 };
      for (const [i, scenario] of scenarios.entries()) {
        if (!picked(scenario.name)) continue;
        const { standIn, deliver } = await inProcessApp(scenario, trustedRoot, gateOptions);
        const outcomes = await runScenario(scenario, standIn, deliver);
        say(`\n${"═".repeat(100)}\n${i + 1}. ${scenario.title}\n   ${scenario.description}`);
        const steps: unknown[] = [];
        for (const [j, o] of outcomes.entries()) {
          const run = o.run;
          const mark = o.problems.length === 0 ? "as expected" : `UNEXPECTED: ${o.problems.join("; ")}`;
          say(`\n── ${o.step.event} → check run on ${o.step.expect.headSha.slice(0, 7)}: ${run?.conclusion ?? "none"} (${mark})`);
          say(`   title: ${run?.output.title ?? ""}`);
          if (!values.quiet && run?.output.summary) say(run.output.summary.replace(/^/gm, "   │ "));
          steps.push({ event: o.step.event, head_sha: o.step.expect.headSha, conclusion: run?.conclusion ?? null, title: run?.output.title ?? null, problems: o.problems });
          if (o.problems.length) report.unexpected++;
          if (values.pages && run) {
            mkdirSync(values.pages, { recursive: true });
            const file = join(values.pages, `${String(i + 1).padStart(2, "0")}-${scenario.name}${outcomes.length > 1 ? `-${j + 1}` : ""}.html`);
            writeFileSync(file, checkRunPage({ scenario: scenario.title, title: run.output.title ?? "", conclusion: run.conclusion ?? "", summary: run.output.summary ?? "", text: run.output.text ?? "" }));
          }
        }
        report.scenarios.push({ name: scenario.name, title: scenario.title, steps });
      }
      // Deployments: the custom deployment protection rule answering GitHub through the callback.
      for (const [i, scenario] of deployments.scenarios.entries()) {
        if (!picked(scenario.name)) continue;
        const o = await runDeploymentScenario(scenario, deployments.trustedRoot, gateOptions);
        say(`\n${"═".repeat(100)}\n${scenarios.length + i + 1}. ${scenario.title}\n   ${scenario.description}`);
        const mark = o.problems.length === 0 ? "as expected" : `UNEXPECTED: ${o.problems.join("; ")}`;
        say(`\n── deployment_protection_rule.requested → ${o.state ?? "no answer"} (${mark})`);
        if (!values.quiet) for (const c of o.statusComments) say(`   status: ${c}`);
        if (!values.quiet) say(o.comment.replace(/^/gm, "   │ "));
        report.deployments.push({ name: scenario.name, title: scenario.title, state: o.state ?? null, problems: o.problems });
        if (o.problems.length) report.unexpected++;
      }
      if (recorder && before) {
        const head = await recorder.storage.audit.head();
        const dir = values["data-dir"] ?? DEMO_DATA_DIR;
        const flag = ` --data-dir ${dir}`;
        report.recorded = { data_dir: recorder.storage.db.location, records: head.seq - before.seq, head };
        say(`\nrecorded ${head.seq - before.seq} decision(s) in ${recorder.storage.db.location} (audit log head ${head.seq}:${head.hash})`);
        say(`  try: agent-gate audit verify${flag} · agent-gate audit export${flag} · agent-gate config impact FILE --repo OWNER/REPO${flag}`);
      }
      say(`\n${report.unexpected === 0 ? "every scenario ended as expected" : `${report.unexpected} step(s) did not end as expected`}`);
      emit(report);
      return report.unexpected === 0 ? EXIT_OK : EXIT_FAILED;
    }
  });
}
