# syntax=docker/dockerfile:1
# Node 22 LTS (Node 20 reached end of life). No secret is ever copied or baked in: configuration,
# passwords and keys come from the environment at run time (.dockerignore keeps .env out).
#
# The base image is pinned by digest, so a re-pushed tag cannot change what is built. The
# digest is the multi-architecture index of node:22.22.3-bookworm-slim as independent public
# Dockerfiles record it (one resolved it on 2026-07-27); it was not pulled or re-resolved here.
# To move to a newer patch release, resolve the new tag's index digest
# (`docker buildx imagetools inspect node:22.<x>.<y>-bookworm-slim`) and change both parts
# together. test/unit/project/docker-compose.test.ts fails on an external FROM without a digest.
ARG NODE_IMAGE=node:22.22.3-bookworm-slim@sha256:e21fc383b50d5347dc7a9f1cae45b8f4e2f0d39f7ade28e4eef7d2934522b752

# Build: compile TypeScript (without source maps) and generate the Prisma client.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
COPY scripts/copy-console-static.mjs ./scripts/copy-console-static.mjs
# The simulated payment and inventory services: built here, shipped only in their own image.
COPY test/peer-simulators ./test/peer-simulators
RUN npm run generate && npm run build -- --sourceMap false && npm prune --omit=dev \
  && find dist -name '*.map' -delete

# What both run images start from: Node without npm, npx, corepack or yarn (a package manager
# in a running service only helps whoever gets a shell in it), and production dependencies.
FROM ${NODE_IMAGE} AS node-runtime
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
  /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
  /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./

# The test peers (docker-compose's payment-simulator and inventory-simulator). The payment
# simulator approves payments on its own: it is never part of the service's image.
FROM node-runtime AS peer-simulators
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/test/peer-simulators/run-peer.js", "payment"]

# Run (the default target, last): the compiled service, migrations and Avro schemas only.
FROM node-runtime AS runtime
COPY --from=build /app/dist/src ./dist/src
COPY prisma ./prisma
COPY scripts/db-migrate.mjs ./scripts/db-migrate.mjs
COPY schemas ./schemas
USER node
# 3000: the API. 9464: metrics and the readiness report, for the monitoring network only.
EXPOSE 3000 9464
# Migrations are applied explicitly (docker-compose's migrate), never silently at start.
# The same command as `npm start`, heap and WebAssembly settings included (docs/performance.md, Memory).
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "--liftoff-only", "dist/src/start.js"]
