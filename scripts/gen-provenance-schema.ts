// Writes docs/provenance.schema.json from the zod schema in src/core/provenance.ts; `--check` compares instead
// and exits 1 when the file is stale (test/core/provenance.test.ts checks freshness too).
import { readFileSync, writeFileSync } from "node:fs";
import { provenanceJsonSchema } from "../src/core/provenance.js";

const PATH = "docs/provenance.schema.json";
const text = JSON.stringify(provenanceJsonSchema(), null, 2) + "\n";
let current = "";
try {
  current = readFileSync(PATH, "utf8");
} catch {
  // missing counts as stale
}
if (process.argv.includes("--check")) {
  if (current !== text) {
    console.error(`${PATH} is stale: run npm run docs:provenance`);
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(PATH, text);
  console.log(`wrote ${PATH}`);
}
