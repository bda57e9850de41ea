#!/usr/bin/env bash
# Regenerates policies/capabilities.json: `opa capabilities --current` with features [rego_v1], builtins filtered to
# policies/wasm-builtins.txt (what the wasm module really implements), and the ABI versions the wasm SDK accepts.
set -euo pipefail
cd "$(dirname "$0")/.."
opa="${OPA:-$PWD/.tools/bin/opa}"
"$opa" capabilities --current > .tools/capabilities.current.json
node --input-type=module - <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const current = JSON.parse(readFileSync(".tools/capabilities.current.json", "utf8"));
const allowed = new Set(readFileSync("policies/wasm-builtins.txt", "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
const builtins = current.builtins.filter((b) => allowed.has(b.name));
const missing = [...allowed].filter((n) => !builtins.some((b) => b.name === n));
if (missing.length) throw new Error(`policies/wasm-builtins.txt names builtins this opa does not know: ${missing.join(", ")}`);
const out = { builtins, features: ["rego_v1"], wasm_abi_versions: [{ version: 1, minor_version: 1 }, { version: 1, minor_version: 2 }] };
writeFileSync("policies/capabilities.json", JSON.stringify(out, null, 2) + "\n");
console.error(`policies/capabilities.json: ${builtins.length} of ${current.builtins.length} builtins`);
JS
