# syntax=docker/dockerfile:1
# Build: compile TypeScript and generate the Prisma client (no native engine needed).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
RUN npm run generate && npm run build && npm prune --omit=dev

# Run: only production dependencies, the compiled service, migrations and Avro schemas.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma ./prisma
COPY scripts/db-migrate.mjs ./scripts/db-migrate.mjs
COPY schemas ./schemas
USER node
EXPOSE 3000
# Migrations are applied explicitly (`npm run db:migrate`), never silently at start.
CMD ["node", "dist/src/start.js"]
