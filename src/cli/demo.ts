// `agent-gate demo`: the real App, in-process, against recorded GitHub state for each scenario; prints the check
// run each would write. No credentials, nothing to start. `--pages DIR` also writes each as the page a reviewer sees.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadScenarios } from "../demo/scenario.js";
import { inProcessApp, runScenario } from "../demo/run.js";
import { checkRunPage } from "../demo/page.js";
import { loadDeploymentScenarios, runDeploymentScenario } from "../demo/deployments.js";

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { pages: { type: "string" }, only: { type: "string" }, quiet: { type: "boolean" } }, strict: true });
  const { trustedRoot, scenarios } = loadScenarios();
  let failures = 0;
  for (const [i, scenario] of scenarios.entries()) {
    if (values.only && !scenario.name.includes(values.only)) continue;
    const { standIn, deliver } = await inProcessApp(scenario, trustedRoot);
    const outcomes = await runScenario(scenario, standIn, deliver);
    console.log(`\n${"═".repeat(100)}\n${i + 1}. ${scenario.title}\n   ${scenario.description}`);
    for (const [j, o] of outcomes.entries()) {
      const run = o.run;
      const mark = o.problems.length === 0 ? "as expected" : `UNEXPECTED: ${o.problems.join("; ")}`;
      console.log(`\n── ${o.step.event} → check run on ${o.step.expect.headSha.slice(0, 7)}: ${run?.conclusion ?? "none"} (${mark})`);
      console.log(`   title: ${run?.output.title ?? ""}`);
      if (!values.quiet && run?.output.summary) console.log(run.output.summary.replace(/^/gm, "   │ "));
      if (o.problems.length) failures++;
      if (values.pages && run) {
        mkdirSync(values.pages, { recursive: true });
        const file = join(values.pages, `${String(i + 1).padStart(2, "0")}-${scenario.name}${outcomes.length > 1 ? `-${j + 1}` : ""}.html`);
        writeFileSync(file, checkRunPage({ scenario: scenario.title, title: run.output.title ?? "", conclusion: run.conclusion ?? "", summary: run.output.summary ?? "", text: run.output.text ?? "" }));
      }
    }
  }
  // Deployments: the custom deployment protection rule answering GitHub through the callback.
  const deployments = loadDeploymentScenarios();
  for (const [i, scenario] of deployments.scenarios.entries()) {
    if (values.only && !scenario.name.includes(values.only)) continue;
    const o = await runDeploymentScenario(scenario, deployments.trustedRoot);
    console.log(`\n${"═".repeat(100)}\n${scenarios.length + i + 1}. ${scenario.title}\n   ${scenario.description}`);
    const mark = o.problems.length === 0 ? "as expected" : `UNEXPECTED: ${o.problems.join("; ")}`;
    console.log(`\n── deployment_protection_rule.requested → ${o.state ?? "no answer"} (${mark})`);
    if (!values.quiet) for (const c of o.statusComments) console.log(`   status: ${c}`);
    if (!values.quiet) console.log(o.comment.replace(/^/gm, "   │ "));
    if (o.problems.length) failures++;
  }
  console.log(`\n${failures === 0 ? "every scenario ended as expected" : `${failures} step(s) did not end as expected`}`);
  return failures === 0 ? 0 : 1;
}
