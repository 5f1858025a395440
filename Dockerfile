# dronefleet: `dronefleet serve` with the embedded broker by default.
#   docker build -t dronefleet .
#   docker run -p 1883:1883 -p 8080:8080 -p 8081:8081 dronefleet
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY cli cli
COPY protocol protocol
COPY sim sim
COPY engine engine
COPY gateway gateway
COPY types types
# npm ci runs `prepare`, which compiles TypeScript to dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY scenarios scenarios
USER node
EXPOSE 1883 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--host", "0.0.0.0"]
