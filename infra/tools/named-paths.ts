/**
 * Every repository path that the code, its comments and the docs name must exist: a comment or a
 * page that points at a moved or deleted file is wrong the day the file moves. And code and docs say
 * what the project does now: an issue number is history, which belongs in git and the issue notes.
 * `npm run lint` runs this; it prints each dangling path or issue reference with the file and line
 * that names it, and exits 1 if any.
 *
 * A path is a run of path characters that starts with a top-level folder of the repository (or is
 * one of its root files) and has a file extension or a trailing slash; globs and templates
 * (`*`, `<fn>`, `${...}`, `{a,b}`) are patterns, not paths, and are passed over, as are the folders
 * that builds and runs create (dist/, .build/, .sst/, ...). Markdown links are resolved from the
 * page that holds them.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname ?? '.', '..', '..');
const SCANNED_DIRS = ['functions', 'infra', 'bench', 'test', 'docs', 'fixtures', '.ci'];
const SCANNED_ROOT_FILES = ['README.md', 'sst.config.ts', 'vitest.config.ts', 'knip.json', 'biome.jsonc', 'package.json'];
/** Code and prose; data files (bench results, fixtures) hold labels, not references, and a
 * SOURCES.md names paths in the repositories that third-party files came from. */
const TEXT_FILE = /\.(ts|mts|cts|mjs|cjs|js|md|css|html|sh)$|^run$/;
/** Files an operator creates from the docs' examples (a stage of their own). */
const EXAMPLES = ['infra/stages/production.ts'];
/** Made by builds, runs and installs; never in a clean clone. */
const CREATED = ['dist/', '.build/', '.sst/', 'node_modules/', 'bench/tmp/', 'test-artifacts/', '.keys/'];
const TOP = ['functions', 'infra', 'bench', 'test', 'docs', 'fixtures', '.ci'];
const PATH = new RegExp(`(?<![\\w./@-])((?:${TOP.map((t) => t.replace('.', '\\.')).join('|')})/[\\w./-]*[\\w/])`, 'g');
const MARKDOWN_LINK = /\]\(([^)\s#]+)(?:#[^)]*)?\)/g;
/** A reference to an issue by its number: history, not what the code does. */
const ISSUE_REFERENCE = /\bissues? #?\d+/i;

export interface DanglingPath {
  readonly file: string;
  readonly line: number;
  readonly path: string;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const relative = `${path.relative(ROOT, full).split(path.sep).join('/')}/`;
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.') && !CREATED.includes(relative)) walk(full, out);
    } else if (entry.isFile() && TEXT_FILE.test(entry.name) && entry.name !== 'SOURCES.md') {
      out.push(full);
    }
  }
}

/** Whether a named path is a pattern, a created folder, or something other than a repository path. */
function passedOver(named: string): boolean {
  if (CREATED.some((c) => named.startsWith(c)) || EXAMPLES.includes(named)) return true;
  // An upper-case segment is a placeholder: infra/stages/NAME.ts.
  if (named.split('/').some((segment) => /^[A-Z_]+(\.\w+)?$/.test(segment))) return true;
  // A bare folder word in prose ("functions/ never imports infra/") names the folder itself.
  const last = named.split('/').pop() ?? '';
  return !named.endsWith('/') && !last.includes('.');
}

/** The dangling paths `text` (the contents of `file`, relative to the root) names. */
export function danglingIn(file: string, text: string, exists: (relative: string) => boolean): DanglingPath[] {
  const found: DanglingPath[] = [];
  const lines = text.split('\n');
  const code = /\.[cm]?[jt]s$/.test(file);
  let inBlockComment = false;
  for (const [index, line] of lines.entries()) {
    // In code only comments are read: a string may name a missing file on purpose (a test of it).
    const commentStart = code ? commentColumn(line, inBlockComment) : 0;
    if (code) inBlockComment = endsInBlockComment(line, inBlockComment);
    for (const match of line.matchAll(PATH)) {
      if (commentStart < 0 || (match.index ?? 0) < commentStart) continue;
      const after = line[(match.index ?? 0) + match[0].length] ?? '';
      if (after === '*' || after === '<' || after === '$' || after === '{') continue;
      const named = match[1]!.replace(/[.]+$/, '');
      if (passedOver(named)) continue;
      if (!exists(named)) found.push({ file, line: index + 1, path: named });
    }
    if (ISSUE_REFERENCE.test(line)) found.push({ file, line: index + 1, path: line.match(ISSUE_REFERENCE)![0] });
    if (file.endsWith('.md')) {
      for (const match of line.matchAll(MARKDOWN_LINK)) {
        const target = match[1]!;
        if (/^[a-z]+:/i.test(target) || target.startsWith('/')) continue;
        const relative = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
        if (!exists(relative)) found.push({ file, line: index + 1, path: relative });
      }
    }
  }
  return found;
}

/**
 * Where a comment starts on a line of code (0 inside a block comment), or -1 if it holds none. Block
 * comments are the ones that open a line (JSDoc and the like); `//` counts outside quotes and URLs.
 */
function commentColumn(line: string, inBlockComment: boolean): number {
  if (inBlockComment || line.trimStart().startsWith('/*')) return 0;
  for (let i = line.indexOf('//'); i >= 0; i = line.indexOf('//', i + 2)) {
    const before = line.slice(0, i);
    const quotes = (before.match(/['"`]/g) ?? []).length;
    if (quotes % 2 === 0 && !before.endsWith(':')) return i;
  }
  return -1;
}

function endsInBlockComment(line: string, inBlockComment: boolean): boolean {
  if (!inBlockComment && !line.trimStart().startsWith('/*')) return false;
  return !line.includes('*/');
}

function existsInRepo(relative: string): boolean {
  const full = path.join(ROOT, relative);
  if (!existsSync(full)) return false;
  return relative.endsWith('/') ? statSync(full).isDirectory() : true;
}

export function danglingPaths(): DanglingPath[] {
  const files: string[] = [];
  for (const dir of SCANNED_DIRS) if (existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir), files);
  for (const file of SCANNED_ROOT_FILES) files.push(path.join(ROOT, file));
  return files.flatMap((full) => danglingIn(path.relative(ROOT, full).split(path.sep).join('/'), readFileSync(full, 'utf8'), existsInRepo));
}

if (process.argv[1] && /named-paths/.test(process.argv[1])) {
  const dangling = danglingPaths();
  for (const d of dangling) {
    console.error(
      ISSUE_REFERENCE.test(d.path)
        ? `${d.file}:${d.line}: names ${d.path}: say what the code does, not its history`
        : `${d.file}:${d.line}: names ${d.path}, which does not exist`,
    );
  }
  if (dangling.length > 0) {
    console.error(`Expected every path the code and docs name to exist, and no issue numbers, but received ${dangling.length} that break this`);
    process.exit(1);
  }
  console.log('named paths: every path the code and docs name exists');
}
