# tensorchain node image, built from source.
#
#   docker build -t tensorchain:dev .
#   docker run --rm -p 127.0.0.1:9944:9944 tensorchain:dev --dev --rpc-external
#   docker compose up --build              (the devnet of docker-compose.yml: 4 validators, 2 workers, 1 evaluator)
#
# The build needs the npm registry: `npm ci` installs the locked dependencies (including native
# prebuilds for level and onnxruntime-node), and its `prepare` script compiles the TypeScript into dist/.
# The image runs as the unprivileged `node` user with its base path on the /data volume.

FROM node:22-slim AS build
WORKDIR /app
# Dependencies first, so that a source change does not reinstall them. `--ignore-scripts` skips
# `prepare` (the build needs the sources) and the `node` package's download of a second Node.js (the
# image has one); the native packages' install scripts run next. The CPU build of onnxruntime-node is
# in its npm package; ONNXRUNTIME_NODE_INSTALL=skip (and, with npm >= 11.16, package.json's allowScripts)
# stop it fetching the CUDA binaries from outside the npm registry.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts \
    && npm rebuild classic-level msgpackr-extract onnxruntime-node
COPY . .
RUN npm run build \
    && npm prune --omit=dev

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
# The dashboard's page files, served by the node at / on its RPC port.
COPY --from=build --chown=node:node /app/node/dashboard/static ./node/dashboard/static
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# libp2p, JSON-RPC (WebSocket and HTTP), Prometheus.
EXPOSE 30333 9944 9615
ENTRYPOINT ["node", "bin/tensorchain.js"]
CMD ["--dev", "--base-path", "/data", "--rpc-external"]
