import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

describe('the start command', () => {
  test('when the image starts the service, then it runs the same command as npm start, heap ceiling, young-generation size and Liftoff-only WebAssembly included', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    // The last stage's CMD: the runtime target, which is the default (the simulators have their own).
    const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];

    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd as string)).toEqual(scripts.start.split(/\s+/));
    expect(scripts.start).toMatch(/--max-old-space-size=\d+/);
    expect(scripts.start).toMatch(/--max-semi-space-size=\d+/);
    // Prisma's query compiler is WebAssembly: TurboFan compiling it cost 35 to 50 MB of peak RSS.
    expect(scripts.start.split(/\s+/)).toContain('--liftoff-only');
  });

  test("when node reads the start command's flags, then it accepts every one (V8 flags can be renamed between releases)", () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const flags = scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));

    const output = execFileSync(process.execPath, [...flags, '-e', 'console.log("started")'], {
      encoding: 'utf8',
    });

    expect(output.trim()).toBe('started');
  });
});
