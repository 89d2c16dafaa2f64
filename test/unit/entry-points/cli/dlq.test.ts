import { runDlq } from '../../../../src/entry-points/cli/dlq';
import { parseDlqArguments } from '../../../../src/entry-points/cli/dlq/arguments';

/** What the tool writes for a command line, and its exit code; help and usage need no services. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDlq(
    argv,
    {},
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out: out.join('\n'), err };
}

describe('order-dlq help, from commander', () => {
  test('when --help is given, then it lists the four commands and what a topic is, and exits 0', async () => {
    const { code, out, err } = await run(['--help']);

    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toMatch(/^Usage: npm run dlq -- <command> \[options\]/);
    for (const command of ['list', 'show [options] <topic>', 'replay', 'skip']) {
      expect(out).toContain(`\n  ${command}`);
    }
    expect(out).toContain('dead_letter_actions');
  });

  test('when replay --help is given, then it shows replay options only, the selectors apart', async () => {
    const { code, out } = await run(['replay', '--help']);

    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: npm run dlq -- replay \[options\] <topic>/);
    const selectors = out.indexOf('\nSelectors');
    const options = out.indexOf('\nOptions:');
    expect(selectors).toBeGreaterThan(0);
    expect(options).toBeGreaterThan(selectors);
    expect(out.slice(selectors, options)).toContain('--error-class <class>');
    expect(out.slice(options)).toMatch(
      /--all[\s\S]*--include-handled[\s\S]*--reason <text>[\s\S]*--dry-run/,
    );
    expect(out).not.toContain('--limit');
    expect(out).toContain('DLQ_ACTOR');
  });

  test("when help <command> is given, then it is that command's help", async () => {
    const written: string[] = [];

    expect(parseDlqArguments(['help', 'show'], (text) => written.push(text))).toEqual({
      name: 'help',
    });
    expect(written.join('')).toMatch(/^Usage: npm run dlq -- show \[options\] <topic>/);
    expect(written.join('')).toContain('(default: 100)');
  });

  test('when help is printed, then it is one write: a reader that stops early (| head) leaves no later write to fail', () => {
    const writes: string[] = [];

    parseDlqArguments(['--help'], (text) => writes.push(text));
    parseDlqArguments(['replay', '--help'], (text) => writes.push(text));

    expect(writes).toHaveLength(2);
    expect(writes[0]).toContain('dead_letter_actions');
    expect(writes[1]).toContain('DLQ_ACTOR');
  });

  test('when help stands after a bad value, then help still wins', () => {
    const written: string[] = [];

    expect(
      parseDlqArguments(['show', 't', '--limit', '0', '-h'], (text) => written.push(text)),
    ).toEqual({
      name: 'help',
    });
    expect(written.join('')).toMatch(/^Usage: npm run dlq -- show/);
  });

  test('when a command line is bad, then it is one line on stderr and exit code 2', async () => {
    expect(await run(['skip', 't', '--json'])).toEqual({
      code: 2,
      out: '',
      err: ['dlq: skip does not take --json (see --help)'],
    });
  });
});
