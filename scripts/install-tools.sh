#!/usr/bin/env bash
# Installs the pinned Go tools the tests and benchmarks use into .tools/bin (idempotent).
# OPA v1.18.2 is the version @open-policy-agent/opa-wasm is tested with; cosign and gitsign are used for interoperability tests.
set -euo pipefail
OPA_VERSION=v1.18.2
COSIGN_VERSION=v3.1.3
GITSIGN_VERSION=v0.17.1
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"
export GOBIN="$bin" CGO_ENABLED=0 GOFLAGS=-mod=mod

have() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }

if ! have opa "$OPA_VERSION"; then
  echo "installing opa $OPA_VERSION" >&2
  (cd /tmp && go install "github.com/open-policy-agent/opa@$OPA_VERSION")
  echo "$OPA_VERSION" > "$bin/.opa.version"
fi
if [ "${AGENT_GATE_SKIP_COSIGN:-}" != 1 ] && ! have cosign "$COSIGN_VERSION"; then
  echo "installing cosign $COSIGN_VERSION (a few minutes the first time)" >&2
  (cd /tmp && go install "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_VERSION")
  echo "$COSIGN_VERSION" > "$bin/.cosign.version"
fi
# gitsign (Sigstore keyless commit signing) for the interoperability tests of verify-commit (test/interop/gitsign.test.ts).
# `go install github.com/sigstore/gitsign@VERSION` fails here: it looks the module's deprecation up in the version list,
# which the module proxy refuses for gitsign; a throwaway module that requires the pinned version builds the same binary.
if [ "${AGENT_GATE_SKIP_GITSIGN:-}" != 1 ] && ! have gitsign "$GITSIGN_VERSION"; then
  echo "installing gitsign $GITSIGN_VERSION (a few minutes the first time)" >&2
  mod="$(mktemp -d)"
  (cd "$mod" && go mod init agent-gate-tools/gitsign >/dev/null 2>&1 && go get -tool "github.com/sigstore/gitsign@$GITSIGN_VERSION" && go install github.com/sigstore/gitsign)
  rm -rf "$mod"
  echo "$GITSIGN_VERSION" > "$bin/.gitsign.version"
fi

# Debian's Chromium renders the demo's check-run pages in the browser test (playwright-core drives it).
if [ "${AGENT_GATE_SKIP_CHROMIUM:-}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
  else
    echo "chromium is missing and cannot be installed here (need root and apt-get): the browser test will fail" >&2
  fi
fi

# Podman, mmdebstrap and runc build and run the container image in test/image (see docs/deploy.md): no base image
# can be pulled here, so the test assembles one from Debian packages. AGENT_GATE_SKIP_CONTAINERS=1 skips them.
if [ "${AGENT_GATE_SKIP_CONTAINERS:-}" != 1 ] && ! { command -v podman && command -v mmdebstrap && [ -x /usr/sbin/runc ]; } >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's podman, mmdebstrap and runc" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman mmdebstrap runc >/dev/null
  else
    echo "podman, mmdebstrap or runc is missing and cannot be installed here (need root and apt-get): the image test will be skipped" >&2
  fi
fi
