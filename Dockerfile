# dronefleet: one image for every role (`serve --role all|engine|gateway`, `sim`).
#   docker build -t dronefleet .
#   docker run -p 1883:1883 -p 8080:8080 -p 8081:8081 dronefleet
# deploy/compose.yaml and deploy/k8s/ run it as engines, gateways and a simulator.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits this Node and libc.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies first, so a change of source does not reinstall them. Only
# better-sqlite3 needs its install step; the others' native parts are optional
# speed-ups or dev tools. `prepare` (tsc -b) waits for the source below.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3
# Every folder that tsconfig.json compiles (test/deploy-manifests.test.ts checks the list).
COPY tsconfig.json ./
COPY cli cli
COPY service service
COPY protocol protocol
COPY broker broker
COPY store store
COPY sim sim
COPY engine engine
COPY gateway gateway
COPY loadgen loadgen
COPY bench bench
COPY test test
COPY types types
# Tests and benchmarks compile with the rest (one tsconfig) but are not shipped.
RUN npx tsc -b && rm -rf dist/test dist/bench && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY scenarios scenarios
# The embedded store of `serve --role all` lives in /data, which the node user owns.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 1883 8080 8081
# Engines and gateways both answer /healthz on --http-port (8080); the simulator serves nothing, so compose turns this off for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0", "--data", "/data"]
