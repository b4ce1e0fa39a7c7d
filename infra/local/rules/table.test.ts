import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ORIGIN_LIMITS, VIEWER_LIMITS } from '../../build/limits.ts';
import { CONFORMANCE_PAGE, renderConformancePage } from './page.ts';
import { CLOUDFRONT_QUOTAS } from '../../cloudfront-quotas.ts';
import { RULES } from './table.ts';

/** Whether `file` has a test (it / test, .each included) whose title carries `[id]`. */
function provenIn(file: string, id: string): boolean {
  const source = readFileSync(file, 'utf8');
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b(?:it|test)(?:\\.each\\([^)]*\\))?\\(\\s*(['"\`])[^'"\`]*\\[${escaped}\\]`).test(source);
}

describe('the rules table', () => {
  it('has unique ids, AWS sources, and a test file holding a test titled with each id', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.source, rule.id).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(existsSync(rule.test), `${rule.id}: ${rule.test}`).toBe(true);
      expect(provenIn(rule.test, rule.id), `${rule.id} has no test titled [${rule.id}] in ${rule.test}`).toBe(true);
    }
  });

  it('gives both quota columns for every quota row', () => {
    for (const rule of RULES.filter((r) => r.area === 'quotas')) {
      expect(rule.quota?.strict, rule.id).toBeTruthy();
      expect(rule.quota?.current, rule.id).toBeTruthy();
    }
  });

  it('is the source of the committed conformance page (npm run conformance)', () => {
    expect(readFileSync(CONFORMANCE_PAGE, 'utf8')).toBe(renderConformancePage(RULES));
  });

  it('[quota.memory-zip] matches the build-time limits for the strict column, and the timeouts the edge enforces', () => {
    // "1 MB" and "50 MB" at their smaller reading.
    expect([VIEWER_LIMITS.maxMemoryMb, VIEWER_LIMITS.zipBytes, ORIGIN_LIMITS.maxMemoryMb, ORIGIN_LIMITS.zipBytes]).toEqual([
      128, 1_000_000, 10_240, 50_000_000,
    ]);
    const timeouts = CLOUDFRONT_QUOTAS.functionTimeoutSeconds;
    expect([VIEWER_LIMITS.timeoutSeconds, ORIGIN_LIMITS.timeoutSeconds]).toEqual([timeouts.strict.viewer, timeouts.strict.origin]);
    expect(timeouts).toEqual({ strict: { viewer: 5, origin: 30 }, current: { viewer: 30, origin: 30 } });
  });
});
