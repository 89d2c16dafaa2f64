// Part of `npm run build`: the operator console's static pages (HTML, CSS, ES modules; no build
// step of their own) go beside the compiled console router, which serves them from
// `<its folder>/static`. tsc copies no such files.
import { cpSync, rmSync } from 'node:fs';

const from = 'src/entry-points/console/static';
const to = 'dist/src/entry-points/console/static';
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
