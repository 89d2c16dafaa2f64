/**
 * Dependencies point one way: entry points and adapters depend on the domain, never the
 * reverse; nothing depends on the composition root; and there are no import cycles.
 * Checked by `npm run lint` (depcruise src).
 *
 *   entry-points ─┐
 *   workers ──────┼──► messaging ──┐
 *   (application) ┴──► data-access ┴──► domain ──► shared
 *   observability/ (metrics wiring) may use every layer; only application.ts uses it.
 *   config/ builds every part's options; only the composition roots (start.ts, application.ts,
 *   the CLIs) import it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Import cycles make a module impossible to understand or load on its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      comment:
        'domain/ holds the rules, the use cases and their ports: it imports only domain/ and shared/.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/shared/'] },
    },
    {
      name: 'domain-knows-no-metrics',
      comment:
        'The domain says what happened (a decision names its row); observability/ counts it. Ports stay free of prom-client.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: ['prom-client', '^src/shared/metrics\\.ts$'] },
    },
    {
      name: 'observability-is-wired-by-the-application',
      comment: 'observability/ wraps and samples the parts; only the composition root uses it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/observability/', '^src/application\\.ts$'] },
      to: { path: '^src/observability/' },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'shared/ is plumbing every layer may use; it depends on no layer.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'data-access-implements-ports',
      comment:
        'data-access/ implements the domain ports; it knows nothing of Kafka, HTTP or workers.',
      severity: 'error',
      from: { path: '^src/data-access/' },
      to: { path: '^src/(messaging|entry-points|workers)/' },
    },
    {
      name: 'messaging-is-an-adapter',
      comment: 'messaging/ adapts Kafka and the registry; it does not reach into the database.',
      severity: 'error',
      from: { path: '^src/messaging/' },
      to: { path: '^src/(data-access|entry-points|workers)/' },
    },
    {
      name: 'entry-points-use-the-domain',
      comment: 'HTTP and Kafka entry points call use cases through ports, not Prisma.',
      severity: 'error',
      from: { path: '^src/entry-points/(http|kafka)/' },
      to: { path: '^src/(data-access|workers)/' },
    },
    {
      name: 'entry-points-stay-apart',
      comment: 'Each entry point stands alone: what two share belongs to an inner layer.',
      severity: 'error',
      from: { path: '^src/entry-points/([^/]+)/' },
      to: { path: '^src/entry-points/', pathNot: '^src/entry-points/$1/' },
    },
    {
      name: 'config-is-read-by-the-composition-roots',
      comment:
        'Each part gets its options from src/config/, built by the part of the config that owns its keys; only the composition roots (start.ts, application.ts, and each CLI, the root of its own process) read the config.',
      severity: 'error',
      from: {
        pathNot: ['^src/config/', '^src/(start|application)\\.ts$', '^src/entry-points/cli/'],
      },
      to: { path: '^src/config/' },
    },
    {
      name: 'only-entry-files-compose',
      comment: 'Only start.ts wires the service together; nothing imports it or application.ts.',
      severity: 'error',
      from: { pathNot: '^src/(start|application)\\.ts$' },
      to: { path: '^src/(start|application)\\.ts$' },
    },
    {
      name: 'src-stands-alone',
      comment: 'The deployed service carries no test, demo, bench or drill code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts|bench|drills)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
