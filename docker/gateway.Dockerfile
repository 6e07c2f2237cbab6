# syntax=docker/dockerfile:1.7
# The Loopgate gateway (NestJS API, the console's static files, the simulators' entry point).
# Build from the repository root:  docker build -f docker/gateway.Dockerfile -t loopgate/gateway .

# docker/build-images.sh passes a locally built stand-in; by default the official image.
ARG NODE_IMAGE=node:24-bookworm-slim
FROM ${NODE_IMAGE} AS build
# better-sqlite3 and argon2 compile native code when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifests first: the dependency layer is rebuilt only when a manifest or the lock changes.
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY contracts/package.json contracts/
COPY rules/package.json rules/
COPY server/package.json server/
COPY nodes/package.json nodes/
COPY editor/package.json editor/
RUN npm ci --no-audit --no-fund
COPY contracts contracts
COPY rules rules
COPY server server
COPY nodes nodes
COPY editor editor
COPY flows flows
RUN npx tsc -b && npm run build -w nodes -w editor \
  && npm prune --omit=dev --no-audit --no-fund && mkdir -p server/node_modules

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LOOPGATE_HOST=0.0.0.0 \
    LOOPGATE_PORT=1880 \
    LOOPGATE_DATA_DIR=/var/lib/loopgate
WORKDIR /app
# Same layout as the repository: node_modules links the workspaces (@loopgate/*) by relative path.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/contracts/package.json contracts/package.json
COPY --from=build /src/contracts/dist contracts/dist
COPY --from=build /src/rules/package.json rules/package.json
COPY --from=build /src/rules/dist rules/dist
COPY --from=build /src/rules/sets rules/sets
COPY --from=build /src/server/package.json server/package.json
COPY --from=build /src/server/dist server/dist
# Dependencies npm could not hoist (express 5 here, while Node-RED keeps express 4 at the top).
COPY --from=build /src/server/node_modules server/node_modules
COPY --from=build /src/nodes/package.json nodes/package.json
COPY --from=build /src/nodes/dist nodes/dist
COPY --from=build /src/nodes/resources nodes/resources
COPY --from=build /src/nodes/examples nodes/examples
COPY --from=build /src/editor/package.json editor/package.json
COPY --from=build /src/editor/dist editor/dist
COPY --from=build /src/flows flows
RUN mkdir -p /var/lib/loopgate && chown node:node /var/lib/loopgate
USER node
EXPOSE 1880
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LOOPGATE_PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server/dist/main.js"]
