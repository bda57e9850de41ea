// Extracts, from GitHub's REST description, the example bodies the GitHub stand-in uses as templates for its
// responses (so they carry every field GitHub's schema requires). Run: node --import tsx scripts/extract-github-templates.ts
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const doc = JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8")) as {
  info: { version: string };
  components: { examples: Record<string, { value: unknown }> };
};
const pick = (name: string): unknown => {
  const ex = doc.components.examples[name];
  if (!ex) throw new Error(`example ${name} not found in the REST description`);
  return ex.value;
};
const first = (name: string): unknown => (pick(name) as unknown[])[0];

const pull = pick("pull-request") as Record<string, unknown>;
pull.requested_teams = []; // the description's own example lacks the team `type` its schema requires
const templates = {
  source: `@octokit/openapi ${doc.info.version} components.examples`,
  pull,
  commit: first("commit-items"),
  file: first("diff-entry-items"),
  review: first("pull-request-review-items"),
  comment: first("issue-comment-items"),
  checkRun: pick("check-run"),
  contentFile: pick("content-file-response-if-content-is-a-file"),
  installationToken: pick("installation-token"),
  deployment: pick("deployment"),
  collaboratorPermission: pick("repository-collaborator-permission-response-if-user-has-admin-permissions"),
};
writeFileSync(new URL("../fixtures/github/templates.json", import.meta.url), JSON.stringify(templates, null, 1) + "\n");
console.log("wrote fixtures/github/templates.json");
