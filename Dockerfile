# mcp-egress container image.
#   docker build -t mcp-egress .
#   docker run --read-only -v mcp-egress-data:/data -p 8080:8080 -p 127.0.0.1:9090:9090 mcp-egress
# Behind a TLS-intercepting proxy, give npm its CA for the install step only:
#   docker build --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt -t mcp-egress .
# (the path is inside the build stage's base image). See the README's "Container" section.

# ---- build: dependencies (re2 compiled from source), TypeScript, then the production tree ----
FROM node:20-bookworm-slim AS build

# re2 is a native addon built by node-gyp, which needs python3, make and g++ (the slim image has none).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Offline apart from the npm registry: node-gyp compiles against the headers the base image ships in
# /usr/local/include/node (no download from nodejs.org), and re2 is built from its sources rather than
# fetched as a prebuilt binary from GitHub.
ENV npm_config_nodedir=/usr/local \
    DOWNLOAD_FORCE_BUILD=1

# Dependencies first, so a source change does not reinstall them or recompile re2 (minutes).
COPY package.json package-lock.json ./
# Only this stage sees the build arg; the final image's environment never holds it.
ARG NODE_EXTRA_CA_CERTS
# --ignore-scripts: no `prepare` (the sources are not here yet) and no dev-only native builds
# (cpu-features, ssh2 for testcontainers); re2, the one runtime addon, is built explicitly. Only its
# re2.node is loaded: object files, vendored C++ sources and debug symbols (~100 MB) are dropped.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild re2 \
 && strip --strip-unneeded node_modules/re2/build/Release/re2.node \
 && mv node_modules/re2/build/Release/re2.node /tmp/re2.node \
 && rm -rf node_modules/re2/build node_modules/re2/vendor \
 && mkdir -p node_modules/re2/build/Release \
 && mv /tmp/re2.node node_modules/re2/build/Release/re2.node

COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: production dependencies, compiled JavaScript, the CLI and the pattern catalogue ----
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process: it cannot modify its own code or patterns.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY patterns ./patterns

# Everything the proxy writes (interception CA, HMAC key, CA bundle, audit file) goes to /data, so the
# root filesystem can be read-only. The default config listens on all interfaces of the container's
# network namespace (publish ports to choose what is reachable) and keeps the embedded defaults
# otherwise: report mode, no tools. A mounted config replaces it; one that leaves `dataDir` out resolves
# it next to itself, to /etc/mcp-egress/.mcp-egress, which is why that name points at the volume.
# `mcp-egress` on the PATH serves `docker exec <container> mcp-egress env --tool NAME -c ...`.
RUN ln -s /app/bin/mcp-egress.js /usr/local/bin/mcp-egress \
 && mkdir -p /data /etc/mcp-egress \
 && chown node:node /data \
 && chmod 0700 /data \
 && ln -s /data /etc/mcp-egress/.mcp-egress \
 && printf '%s\n' \
      '# mcp-egress in a container: mount your own file over this one (keep dataDir: /data).' \
      'listen: 0.0.0.0:8080' \
      'admin: 0.0.0.0:9090' \
      'dataDir: /data' \
      > /etc/mcp-egress/config.yaml

USER node
# The embedded default (`start` without -c) keeps its data in ./.mcp-egress: inside the volume too.
WORKDIR /data
VOLUME /data
EXPOSE 8080 9090

# No curl in the slim image: node itself asks the admin port. Set the URL when the admin port moves.
ENV MCP_EGRESS_HEALTHCHECK_URL=http://127.0.0.1:9090/healthz
# glibc allocator settings as in bin/mcp-egress.js: fewer arenas, freed memory returned sooner.
ENV MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=65536
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "require('node:http').get(process.env.MCP_EGRESS_HEALTHCHECK_URL, { timeout: 4000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"]

# node is PID 1 and handles SIGTERM itself: stop accepting, drain within shutdownGraceMs, flush the
# audit file, exit 0. --max-semi-space-size: as `npm start` (fewer young-generation GCs per request).
ENTRYPOINT ["node", "--max-semi-space-size=32", "/app/bin/mcp-egress.js"]
CMD ["start", "-c", "/etc/mcp-egress/config.yaml"]
