// The events the App subscribes to (src/index.ts) are exactly those app.yml asks GitHub to send (default_events):
// an event subscribed but not sent never arrives; one sent but not subscribed costs a delivery each time for nothing.
// Besides them: installation and installation_repositories, which "All GitHub Apps receive ... by default. You cannot
// manually subscribe to this event." (GitHub's webhook events reference), so app.yml does not name them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Probot } from "probot";
import { agentGateApp, INSTALLATION_EVENTS } from "../../src/index.js";
import type { PullRequestGate } from "../../src/app/pull-request-gate.js";
import type { DeploymentGate } from "../../src/app/deployment-gate.js";

const manifest = parse(readFileSync(new URL("../../app.yml", import.meta.url), "utf8")) as { default_events: string[] };

test("src/index.ts subscribes to exactly app.yml's default_events, and the installation events every App is sent", async () => {
  const subscribed: string[] = [];
  const app = { on: (names: string | string[]) => void subscribed.push(...[names].flat()) } as unknown as Probot;
  await agentGateApp({ gate: {} as PullRequestGate, deploymentGate: {} as DeploymentGate })(app, {} as never);
  const events = [...new Set(subscribed.map((n) => n.split(".")[0]!))].sort();
  assert.deepEqual(events, [...manifest.default_events, ...INSTALLATION_EVENTS].sort());
  assert.deepEqual(INSTALLATION_EVENTS.filter((e) => manifest.default_events.includes(e)), [], "GitHub sends them unasked");
});
