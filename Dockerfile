# Production image: build with the full toolchain, ship only Node 24 and the bundled dist/.
# The bundle holds every runtime dependency, so the final image has no node_modules at all.
# BASE_IMAGE: any image with Node 24, npm and a user `node` (scripts/container-test.sh builds one
# offline for the CI's container test). BUILD_IMAGE: the same with a C compiler, for the
# malloc_trim addon (docs/memory.md): the build fails without one rather than ship an image
# that keeps freed memory.
ARG BASE_IMAGE=node:24-slim
ARG BUILD_IMAGE=node:24

FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build -- --require-malloc-trim

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    PORT=8000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
# The image's unprivileged user. Node runs as PID 1: the service handles SIGTERM and SIGINT
# itself and starts no child processes, so no init is needed to forward signals or reap zombies.
USER node
EXPOSE 8000
# The same binary probes the running service where its configuration (PORT, OPS_PORT, OPS_HOST,
# OPS_PREFIX, OPS_ENDPOINTS) puts the liveness endpoint; exit 0 healthy, 1 not.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/app/dist/main.js", "--healthcheck"]
STOPSIGNAL SIGTERM
# The bin itself: its shebang carries the launch flags (node's --expose-gc, glibc's malloc setting).
ENTRYPOINT ["/app/dist/main.js"]
