// GitHub's own example bodies (extracted from the REST description by scripts/extract-github-templates.ts).
import { readFileSync } from "node:fs";

interface Templates {
  source: string;
  pull: Record<string, unknown> & { user: Record<string, unknown>; head: Record<string, unknown>; base: Record<string, unknown> };
  commit: Record<string, unknown>;
  file: Record<string, unknown>;
  review: Record<string, unknown>;
  comment: Record<string, unknown>;
  checkRun: Record<string, unknown>;
  contentFile: Record<string, unknown>;
  installationToken: Record<string, unknown>;
  deployment: Record<string, unknown>;
  collaboratorPermission: Record<string, unknown> & { user: Record<string, unknown> };
}

const templates = JSON.parse(readFileSync(new URL("../../../fixtures/github/templates.json", import.meta.url), "utf8")) as Templates;
export default templates;
