# syntax=docker/dockerfile:1
# Node 22 LTS (Node 20 reached end of life). No secret is ever copied or baked in: configuration,
# passwords and keys come from the environment at run time (.dockerignore keeps .env out).
# Build: compile TypeScript and generate the Prisma client (no native engine needed).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
# The simulated payment and inventory services: docker-compose runs them from this image.
COPY test/peer-simulators ./test/peer-simulators
RUN npm run generate && npm run build && npm prune --omit=dev

# Run: only production dependencies, the compiled service, migrations and Avro schemas.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma ./prisma
COPY scripts/db-migrate.mjs ./scripts/db-migrate.mjs
COPY schemas ./schemas
USER node
# 3000: the API. 9464: metrics and the readiness report, for the monitoring network only.
EXPOSE 3000 9464
# Migrations are applied explicitly (`npm run db:migrate`), never silently at start.
# The same command as `npm start`, heap ceiling included (README, Performance: memory).
CMD ["node", "--max-old-space-size=256", "dist/src/start.js"]
