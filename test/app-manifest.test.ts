import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parse } from "yaml";

const require = createRequire(import.meta.url);
const manifest = parse(readFileSync(new URL("../app.yml", import.meta.url), "utf8")) as { default_permissions: Record<string, string>; default_events: string[] };

test("app.yml asks only for permissions GitHub defines, at the least level each use needs", () => {
  const description = require("@octokit/openapi/generated/api.github.com.json") as { components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> } };
  const known = description.components.schemas["app-permissions"]!.properties;
  for (const [name, level] of Object.entries(manifest.default_permissions)) {
    assert.ok(known[name], `${name} is not a GitHub App permission`);
    assert.ok(known[name].enum?.includes(level), `${name}: ${level} is not a level GitHub allows`);
  }
  const writes = Object.entries(manifest.default_permissions).filter(([, l]) => l === "write").map(([n]) => n).sort();
  assert.deepEqual(writes, ["checks", "deployments"], "the gate writes only check runs and deployment reviews");
});

test("app.yml subscribes to exactly the events the gate handles", () => {
  assert.deepEqual([...manifest.default_events].sort(), ["check_run", "check_suite", "deployment_protection_rule", "issue_comment", "merge_group", "pull_request", "pull_request_review", "push", "repository"]);
});
