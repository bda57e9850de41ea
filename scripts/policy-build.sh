#!/usr/bin/env bash
# Compiles policies/rego to the wasm bundle the App loads (policies/bundle.tar.gz), with the capabilities file
# limited to what the wasm module implements, so a policy calling an unsupported builtin fails here.
# Usage: scripts/policy-build.sh [OUT.tar.gz]. The revision is derived from the sources, so the build is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
opa="${OPA:-$PWD/.tools/bin/opa}"
out="${1:-policies/bundle.tar.gz}"
mkdir -p "$(dirname "$out")"
sources=$(find policies/rego -type f \( -name '*.rego' -o -name 'data.json' \) ! -name '*_test.rego' | LC_ALL=C sort)
# shellcheck disable=SC2086
rev="builtin-$(cat policies/capabilities.json $sources | sha256sum | cut -c1-12)"
"$opa" build -t wasm \
  --capabilities policies/capabilities.json \
  -e agent_gate/pull_request/decision -e agent_gate/deployment/decision \
  --ignore '*_test.rego' \
  --revision "$rev" \
  -o "$out" policies/rego
echo "built $out ($rev)" >&2
