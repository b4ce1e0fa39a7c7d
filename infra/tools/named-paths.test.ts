import { describe, expect, it } from 'vitest';
import { danglingIn, danglingPaths } from './named-paths.ts';

const present = new Set(['functions/core/cost.ts', 'docs/limits.md', 'infra/local/']);
const exists = (p: string) => present.has(p);

describe('named paths', () => {
  it('finds a comment that names a missing file, with its line', () => {
    const text = 'const a = 1;\n// see functions/core/gone.ts and functions/core/cost.ts\n';
    expect(danglingIn('infra/x.ts', text, exists)).toEqual([{ file: 'infra/x.ts', line: 2, path: 'functions/core/gone.ts' }]);
  });

  it('reads JSDoc blocks, not strings: a test may name a missing file on purpose', () => {
    const text = "/**\n * Built by infra/build/old.ts.\n */\nconst key = 'fixtures/keys/nope.pem'; // https://example.com/a\n";
    expect(danglingIn('test/x.test.ts', text, exists).map((d) => d.path)).toEqual(['infra/build/old.ts']);
  });

  it('passes over globs, templates, placeholders and created folders', () => {
    const text = '// functions/*/index.ts, functions/<fn>/handler.ts, infra/stages/NAME.ts, dist/iam/x.json, infra/local/\n';
    expect(danglingIn('infra/x.ts', text, exists)).toEqual([]);
  });

  it('resolves markdown links from the page that holds them', () => {
    const text = 'See [limits](limits.md), [gone](gone.md#top) and [AWS](https://docs.aws.amazon.com/x.html).\n';
    expect(danglingIn('docs/x.md', text, exists).map((d) => d.path)).toEqual(['docs/gone.md']);
  });

  it('finds issue numbers in code and docs: history belongs in git', () => {
    const word = 'issue';
    const text = `// The budget of ${word} 14.\nconst issues = 3; // the count of ${word}s 2 and 3\n`;
    expect(danglingIn('infra/x.ts', text, exists).map((d) => [d.line, d.path])).toEqual([
      [1, `${word} 14`],
      [2, `${word}s 2`],
    ]);
  });

  it('finds none in this repository', () => {
    expect(danglingPaths()).toEqual([]);
  });
});
