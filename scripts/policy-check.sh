#!/usr/bin/env bash
# Guards the policies in npm test / CI: formatted, type-checked against the wasm capabilities, unit-tested with
# coverage, and the committed bundle is exactly what the sources build (opa build is deterministic).
set -euo pipefail
cd "$(dirname "$0")/.."
opa="${OPA:-$PWD/.tools/bin/opa}"
export OPA="$opa"

unformatted=$("$opa" fmt --list policies/rego)
if [ -n "$unformatted" ]; then
  echo "policy-check: not formatted (run: $opa fmt -w policies/rego):" >&2
  echo "$unformatted" >&2
  exit 1
fi

"$opa" check --strict --capabilities policies/capabilities.json --ignore '*_test.rego' policies/rego
"$opa" check --strict policies/rego
bash scripts/policy-test.sh

node --import tsx scripts/gen-docs.ts --check || { echo "policy-check: generated files are stale: run npm run docs:gen" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash scripts/policy-build.sh "$tmp/bundle.tar.gz" 2>/dev/null
mkdir -p "$tmp/fresh" "$tmp/committed"
tar -xzf "$tmp/bundle.tar.gz" -C "$tmp/fresh" 2>/dev/null
tar -xzf policies/bundle.tar.gz -C "$tmp/committed" 2>/dev/null || { echo "policy-check: policies/bundle.tar.gz is missing or unreadable: run npm run policy:build" >&2; exit 1; }
for f in policy.wasm data.json .manifest; do
  if ! cmp -s "$tmp/fresh/$f" "$tmp/committed/$f"; then
    echo "policy-check: policies/bundle.tar.gz is stale ($f differs from a fresh build): run npm run policy:build and commit it" >&2
    exit 1
  fi
done
echo "policy-check: ok (bundle $(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).revision)' "$tmp/committed/.manifest") is fresh)"
