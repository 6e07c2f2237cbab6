# syntax=docker/dockerfile:1.7
# A Node-RED runtime with the Loopgate palette (and node-red-contrib-opcua for OPC UA inputs),
# running the demo flows pointed at the gateway behind the load balancer.
# Build from the repository root:  docker build -f docker/node-red.Dockerfile -t loopgate/node-red .

# docker/build-images.sh passes a locally built stand-in; by default the official image.
ARG NODE_IMAGE=node:24-bookworm-slim
FROM ${NODE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
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
COPY flows flows
COPY docker/node-red/build-flows.js docker/node-red/build-flows.js
# The palette as npm would publish it (one tarball with the workspace packages it needs bundled).
RUN npx tsc -b && npm run build -w nodes \
  && mkdir -p /out/packages \
  && node nodes/scripts/pack.js --out /out/packages \
  && node docker/node-red/build-flows.js flows /out/flows.json

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_RED_USER_DIR=/data \
    LOOPGATE_GATEWAY_URL=http://gateway
# Everything from the registry comes from a lock (docker/node-red/runtime): Node-RED,
# node-red-contrib-opcua and the palette's registry dependencies, into the user dir where Node-RED
# looks for installed nodes. The palette's tarball is then added offline: it needs nothing the
# lock did not install (a dependency missing from the lock fails the build here).
WORKDIR /data
COPY docker/node-red/runtime/package.json docker/node-red/runtime/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /out/packages /opt/loopgate-packages
RUN npm install --offline --no-save --omit=dev --no-audit --no-fund /opt/loopgate-packages/*.tgz \
  && chown -R node:node /data
COPY --from=build --chown=node:node /out/flows.json /data/flows.json
COPY --chown=node:node docker/node-red/settings.js /data/settings.js
USER node
EXPOSE 1880
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:1880/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "/data/node_modules/node-red/red.js", "--userDir", "/data", "--settings", "/data/settings.js"]
