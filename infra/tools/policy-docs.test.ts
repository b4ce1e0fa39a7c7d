import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_FACTS, markersIn, policyPages, rewrite } from './policy-docs.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const markers = policyPages().flatMap((file) => markersIn(file, readFileSync(path.join(root, file), 'utf8')));

describe('policy values the docs restate', () => {
  it('are marked in the pages, each under a known name', () => {
    expect(markers.length).toBeGreaterThan(10);
    expect(markers.filter((m) => m.expected === undefined).map((m) => `${m.file}: ${m.name}`)).toEqual([]);
  });

  it('agree with the policy (npm run docs:policy rewrites them)', () => {
    const stale = markers.filter((m) => m.written !== m.expected).map((m) => `${m.file}: ${m.name} says ${m.written}, the policy ${m.expected}`);
    expect(stale).toEqual([]);
  });

  it('rewrites a stale value from the policy and leaves the rest of the page alone', () => {
    const page = 'Qualities: <!-- policy:qualities -->`40`, `60`<!-- /policy -->; the rest stays.';
    expect(rewrite(page)).toBe(`Qualities: <!-- policy:qualities -->${POLICY_FACTS['qualities']!()}<!-- /policy -->; the rest stays.`);
  });
});
