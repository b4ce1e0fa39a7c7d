/**
 * The rules of the house for imports, checked on every source file: core <- adapters <- handlers <-
 * infra, read with the TypeScript compiler's own import scanner (ts.preProcessFile).
 *
 * - functions/core imports nothing of adapters, handlers or infra;
 * - functions/adapters imports no handler and no infra;
 * - a handler (functions/<fn>/) imports core and adapters, never another handler, never infra: its
 *   baked configuration comes from the generated module `edge-images:config/<fn>` (infra/build/bundle.ts);
 * - infra/local (the local edge) and infra/origin (the HTTP image origin) never import each other:
 *   what they share lives in a module both import (infra/serve).
 * Tests beside the code (`*.test.ts`) sit above every layer: they may use infra's real distribution
 * as their fixture. What ships in a bundle never does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.endsWith('.test.ts'));
}

type Layer = { readonly rank: number; readonly name: string };

/** The layer of a project file: 0 core, 1 adapters, 2 a handler (named), 3 infra (and above). */
function layerOf(file: string): Layer {
  const parts = file.split(path.sep);
  if (parts[0] === 'functions') {
    if (parts[1] === 'core') return { rank: 0, name: 'core' };
    if (parts[1] === 'adapters') return { rank: 1, name: 'adapters' };
    return { rank: 2, name: `handler ${parts[1]}` };
  }
  if (parts[0] === 'infra' && (parts[1] === 'local' || parts[1] === 'origin')) return { rank: 3, name: `infra/${parts[1]}` };
  return { rank: 3, name: parts[0] ?? file };
}

/** The project files one file imports (relative specifiers only: packages are not layers). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.relative(root, path.resolve(root, path.dirname(file), spec)));
}

/** Why an import from `file` of `target` breaks a rule, or undefined when it keeps them. */
function violation(file: string, target: string): string | undefined {
  const from = layerOf(file);
  const to = layerOf(target);
  if (to.rank > from.rank) return `${from.name} may not import ${to.name}`;
  if (from.rank === 2 && to.rank === 2 && from.name !== to.name) return 'one handler may not import another: share through core';
  const serve = ['infra/local', 'infra/origin'];
  if (serve.includes(from.name) && serve.includes(to.name) && from.name !== to.name) return 'share through a module both import';
  return undefined;
}

/** Every import that breaks a rule, as `from -> to (why)`. */
function backwardImports(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    importsOf(file).flatMap((target) => {
      const why = violation(file, target);
      return why === undefined ? [] : [`${file} -> ${target} (${why})`];
    }),
  );
}

describe('imports run one way: core <- adapters <- handlers <- infra', () => {
  it('no source file imports against the direction', () => {
    const files = [...sources('functions'), ...sources('infra')];
    expect(files.length).toBeGreaterThan(50);
    expect(backwardImports(files)).toEqual([]);
  });

  it('the check itself finds a backward import', () => {
    // Every kind of rule, against the real files of this tree: each of these imports would be refused.
    const cases: Record<string, string> = {
      'functions/core/grammar.ts': 'functions/adapters/cloudfront/respond.ts',
      'functions/adapters/cloudfront/respond.ts': 'functions/image-request/handler.ts',
      'functions/signed-url/handler.ts': 'functions/image-request/handler.ts',
      'functions/image-request/index.ts': 'infra/distribution.ts',
      'infra/origin/server.ts': 'infra/local/edge.ts',
    };
    for (const [from, to] of Object.entries(cases)) expect(violation(from, to), `${from} -> ${to}`).toBeDefined();
    // ...and lets the right direction through.
    expect(violation('functions/image-request/handler.ts', 'functions/core/grammar.ts')).toBeUndefined();
    expect(violation('infra/local-stack.ts', 'functions/image-request/handler.ts')).toBeUndefined();
  });
});
