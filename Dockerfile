# agent-gate's App (the GitHub App server) as a container image; see docs/deploy.md.
#
# BASE is an official Node 22 image (Node 22.23.1, the version .ci/image-node-version names: the image test's base
# and CI's test run use the same) pinned by digest: a tag moves, a digest does not. Node 22 is supported until
# 2027-04-30; Node 20's support ended on 2026-04-30, and Node 24 is not yet within the App's memory goal on the
# embedded database (docs/capacity.md, "Session 18"). To update it, read the digest of the multi-platform index with
# `docker buildx imagetools inspect node:22-bookworm-slim` (its "Digest:" line) and replace the one below, put the
# version it runs in .ci/image-node-version, then rebuild and run the tests. The test suite (test/image) overrides
# BASE with an equivalent base assembled from Debian packages, since no registry can be reached there.
ARG BASE=node:22-bookworm-slim@sha256:53ada149d435c38b14476cb57e4a7da73c15595aba79bd6971b547ceb6d018bf

# Compile with the dev dependencies (TypeScript); nothing of this stage but dist/ reaches the image.
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The cache mount keeps downloads between builds; no dependency's install script runs (none is needed).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-cli.mjs ./scripts/
# dist/bundle: the command line in one chunk per command (bin/agent-gate.js prefers it), see scripts/bundle-cli.mjs
RUN npx tsc -p tsconfig.build.json && node scripts/bundle-cli.mjs

# Production dependencies only, from the lock file.
FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${BASE}
# npm start's memory settings (package.json): glibc returns freed blocks of 32 KB and more, V8's heaps are capped.
# HOST: listen on every interface of the container (the App itself defaults to loopback).
# AGENT_GATE_DATA_DIR: the embedded database (used when DATABASE_URL is unset) lives on the volume.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768 \
    AGENT_GATE_DATA_DIR=/data/db
WORKDIR /app
# Owned by root and read-only to the App's user: the process cannot change its own code, policy or trust roots.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json app.yml ./
COPY bin ./bin
COPY trust ./trust
COPY policies/bundle.tar.gz ./policies/bundle.tar.gz
COPY --from=build /src/dist ./dist
# The only writable path besides /tmp: the embedded database and the TUF cache (AGENT_GATE_TUF_CACHE=/data/tuf).
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME /data
# The official image's `node` user, by number so that a runtime can check it is not root (runAsNonRoot).
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (the App drains for up to 20 s, then exits).
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=8", "dist/server.js"]
