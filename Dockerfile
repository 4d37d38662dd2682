# Production image: build with the full toolchain, ship only Node 24 and the bundled dist/.
# The bundle holds every runtime dependency, so the final image has no node_modules at all.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied in.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
# The image's unprivileged user. Node runs as PID 1: the service handles SIGTERM and SIGINT
# itself and starts no child processes, so no init is needed to forward signals or reap zombies.
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/-/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/main.js"]
