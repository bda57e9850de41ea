#!/usr/bin/env bash
# Everything that guards quality: tools, lint, typecheck, build, policies (fmt, tests with coverage, bundle freshness), tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
export PATH="$PWD/.tools/bin:$PATH"
echo "== lint"; npx eslint .
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== build"; npm run --silent build
if [ -n "$(find policies -name '*.rego' -print -quit)" ]; then
  echo "== policies"; bash scripts/policy-check.sh
fi
echo "== tests"; node scripts/run-tests.mjs
