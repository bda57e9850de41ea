#!/usr/bin/env bash
# Runs the Rego unit tests with coverage and prints the percentage (per file below 100 %).
set -euo pipefail
cd "$(dirname "$0")/.."
opa="${OPA:-$PWD/.tools/bin/opa}"
# the default 5 s per test is too short on a busy 2-core machine for the exhaustive glob-shape test (494 evaluations)
"$opa" test --timeout 120s policies/rego
"$opa" test --timeout 120s --coverage policies/rego | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const c = JSON.parse(s);
  for (const [f, v] of Object.entries(c.files)) if (!f.endsWith("_test.rego") && v.coverage < 100) console.log(`  ${f}: ${v.coverage.toFixed(1)} %`);
  console.log(`rego coverage: ${c.coverage.toFixed(1)} %`);
});'
