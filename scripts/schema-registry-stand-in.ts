/**
 * Runs the Schema Registry test stand-in (in memory, not a registry) until SIGINT/SIGTERM.
 * Prints one line, `SCHEMA_REGISTRY_URL=http://host:port`, for local-stack scripts to read.
 *   npx tsx scripts/schema-registry-stand-in.ts [--port 8081] [--host 127.0.0.1]
 * `--port 0` picks a free port.
 */
import { parseArgs } from 'node:util';
import { startSchemaRegistryStandIn } from '../test/support/schema-registry-stand-in';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8081' }, host: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`bad --port ${values.port}`);
  const standIn = await startSchemaRegistryStandIn({
    port,
    ...(values.host ? { host: values.host } : {}),
  });
  process.stdout.write(`SCHEMA_REGISTRY_URL=${standIn.url}\n`);
  const shutdown = (): void => {
    standIn.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
