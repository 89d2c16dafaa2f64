// Every relative link and #anchor in README.md and docs/ must resolve: a moved section or a
// renamed file breaks a link silently otherwise. test/unit/scripts/docs-links.test.ts runs this in CI;
// `npx tsx scripts/docs-links.ts` prints the broken ones.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Markdown pages whose links are checked: README.md, and docs/ except docs/pending/ (drafts). */
export function documentationPages(root: string): string[] {
  const pages = [join(root, 'README.md')];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'pending') walk(path);
      } else if (name.endsWith('.md')) pages.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return pages;
}

/** Markdown without fenced code blocks and code spans, where brackets are not links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a page offers: one per heading, repeats numbered as GitHub numbers them. */
export function pageAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading = ''] of text.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const anchor = headingAnchor(heading);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    anchors.add(count === 0 ? anchor : `${anchor}-${count}`);
  }
  return anchors;
}

/** Link targets in a page: inline links and images, `[text](target "title")`. */
function linkTargets(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(<?([^)\s>]+)>?(?: +"[^"]*")?\)/g)].map(
    ([, target = '']) => target,
  );
}

/** Each relative link or anchor that does not resolve, as `page: target (why)`. */
export function brokenLinks(root: string): string[] {
  const broken: string[] = [];
  for (const page of documentationPages(root)) {
    const markdown = readFileSync(page, 'utf8');
    for (const target of linkTargets(markdown)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [pathPart = '', anchor] = target.split('#', 2);
      const file = pathPart === '' ? page : resolve(dirname(page), decodeURIComponent(pathPart));
      const where = `${relative(root, page)}: ${target}`;
      if (!file.startsWith(resolve(root))) broken.push(`${where} (outside the repository)`);
      else if (!existsSync(file)) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined) {
        if (!file.endsWith('.md'))
          broken.push(`${where} (anchor into a file that is not Markdown)`);
        else if (!pageAnchors(readFileSync(file, 'utf8')).has(anchor))
          broken.push(`${where} (no such heading)`);
      }
    }
  }
  return broken;
}

if (require.main === module) {
  const broken = brokenLinks(join(__dirname, '..'));
  for (const line of broken) process.stdout.write(`${line}\n`);
  process.exitCode = broken.length > 0 ? 1 : 0;
}
