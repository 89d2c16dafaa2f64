// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: by package, then the
// top functions by self time and by inclusive time (each function counted once per sample, so
// recursion does not inflate it). `tsx bench/cpu-profile-summary.ts FILE [top]`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `express`, `@prisma/client`, `node:internal`, `service` (dist/src), or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  return url.includes('/dist/src/') ? 'service' : url.replace(/^file:\/\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split('/').slice(-2).join('/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

export function summarise(profile: Profile, top = 25): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    total += ms;
    const node = byId.get(id) as ProfileNode;
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    const key = `${pkg} | ${frameName(node)}`;
    self.set(key, (self.get(key) ?? 0) + ms);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at) as ProfileNode;
      const name = `${packageOf(frame.callFrame.url, frame.callFrame.functionName)} | ${frameName(frame)}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  });
  const busy = total - (packages.get('(idle)') ?? 0);
  const line = ([name, ms]: [string, number]) =>
    `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${name}`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `total ${total.toFixed(0)} ms, busy (not idle) ${busy.toFixed(0)} ms; % of busy`,
    '-- self time by package',
    ...sorted(packages).map(line),
    `-- top ${top} functions by self time`,
    ...sorted(self).map(line),
    `-- top ${top} functions by inclusive time`,
    ...sorted(inclusive).map(line),
  ];
}

/** Prints the newest .cpuprofile in `dir` (what `node --cpu-prof-dir` wrote last) and its summary. */
export function printNewestProfile(dir: string): void {
  const newest = readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => path.join(dir, file))
    .sort()
    .at(-1);
  if (!newest) throw new Error(`no .cpuprofile in ${dir}`);
  process.stdout.write(`${newest}\n`);
  const profile = JSON.parse(readFileSync(newest, 'utf8')) as Profile;
  for (const line of summarise(profile)) process.stdout.write(`${line}\n`);
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/cpu-profile-summary.ts FILE.cpuprofile [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  for (const line of summarise(profile, Number(top ?? 25))) process.stdout.write(`${line}\n`);
}
