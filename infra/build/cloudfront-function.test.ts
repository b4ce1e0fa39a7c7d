import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../functions/core/error-codes.ts';
import { CLOUDFRONT_QUOTAS } from '../cloudfront-quotas.ts';
import { imageRequestConfig } from '../config.ts';
import { CloudFrontFunctionRefused, checkFunctionCode } from '../local/cloudfront-syntax.ts';
import { CloudFrontFunctionTooLarge, buildCloudFrontFunction } from './cloudfront-function.ts';
import { mangledProperties } from './cloudfront-properties.ts';

/** The repository's policy with twice the sizes, widths and presets (each new one a near neighbour of an existing one). */
function doubledPolicyConfig() {
  const config = imageRequestConfig();
  const p = config.policy;
  const sizes = [
    ...p.sizes,
    ...p.sizes.map((s) => {
      const [w, h] = s.split('x').map(Number);
      return `${w! + 2}x${h! + 2}` as const;
    }),
  ];
  const widths = [...p.widths, ...p.widths.map((w) => w + 8)];
  const presets = { ...p.presets, ...Object.fromEntries(Object.entries(p.presets).map(([name, preset]) => [`${name}2`, preset])) };
  return { ...config, policy: { ...p, sizes, widths, presets } };
}

describe('the image-request CloudFront Function build and the 10 KB quota', () => {
  it('[quota.function-size] builds the repository policy within 10,000 bytes, and refuses one byte over a limit', async () => {
    const built = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() });
    expect(CLOUDFRONT_QUOTAS.functionCodeBytes).toBe(10_000);
    expect(built.bytes).toBeLessThanOrEqual(CLOUDFRONT_QUOTAS.functionCodeBytes);
    // The same build, one byte short of room: refused, with the inputs that take it named.
    const attempt = buildCloudFrontFunction({ root: '.', config: imageRequestConfig(), maxBytes: built.bytes - 1 });
    await expect(attempt).rejects.toBeInstanceOf(CloudFrontFunctionTooLarge);
    await expect(attempt).rejects.toThrow(new RegExp(`at most ${built.bytes - 1} bytes .* but received ${built.bytes} bytes; largest inputs: `));
  });

  it('builds the repository policy within 8,192 bytes: room under the quota for a policy that grows', async () => {
    const built = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() });
    expect(built.bytes).toBeLessThanOrEqual(8192);
  });

  it('[quota.function-size] refuses 10,001 bytes of code when the function is created, and takes 10,000', () => {
    const source = (bytes: number) => {
      const head = 'function handler(event) {\n  return event.request;\n}\n//';
      return `${head}${'x'.repeat(bytes - head.length)}`;
    };
    expect(() => checkFunctionCode(source(10_000))).not.toThrow();
    expect(() => checkFunctionCode(source(10_001))).toThrow(CloudFrontFunctionRefused);
    expect(() => checkFunctionCode(source(10_001))).toThrow(
      /^Expected a function of at most 10000 bytes \(CloudFront Functions quota\) but received 10001 bytes$/,
    );
  });

  it('[quota.function-size] builds a policy of twice the sizes, widths and presets within 10,000 bytes too', async () => {
    const base = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() });
    // The default limit, the quota: a refusal would reject this promise.
    const doubled = await buildCloudFrontFunction({ root: '.', config: doubledPolicyConfig() });
    expect(doubled.bytes).toBeLessThanOrEqual(CLOUDFRONT_QUOTAS.functionCodeBytes);
    // It grows by the policy alone.
    expect(doubled.bytes - base.bytes).toBeGreaterThan(0);
    expect(doubled.bytes - base.bytes).toBeLessThan(500);
  });
});

describe('the error codes the build carries', () => {
  it('are the rows of the codes the bundled code names (the 400 and the 403), the same data as the table', async () => {
    const built = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() });
    for (const code of ['BadRequest', 'Forbidden'] as const) {
      expect(built.code).toContain(`${code}:${JSON.stringify(ERROR_CODES[code])}`);
    }
    for (const code of Object.keys(ERROR_CODES).filter((c) => !['BadRequest', 'Forbidden'].includes(c))) {
      expect(built.code).not.toContain(code);
    }
  });
});

describe('the property names the build shortens', () => {
  it('are derived: the bundled types and the baked config, never a name CloudFront, the log line or the runtime reads', () => {
    const config = imageRequestConfig();
    const baked = { policy: { ...config.policy, addedField: 1 }, protectedPrefixes: [] };
    const files = ['functions/core/policy.ts', 'functions/core/grammar.ts', 'functions/core/errors.ts', 'functions/core/canonical.ts'];
    const pattern = mangledProperties('.', files, baked);
    // Fields of the policy, its presets and variants, the baked config and a field added to it.
    for (const name of ['sizes', 'widths', 'presets', 'maxDpr', 'width', 'quality', 'publicMessage', 'acceptHeader', 'policy', 'addedField']) {
      expect(pattern.test(name), name).toBe(true);
    }
    // CloudFront's event and response, the log line, built-ins, Error's fields, preset names.
    for (const name of ['uri', 'method', 'headers', 'value', 'statusCode', 'requestId', 'status', 'detail', 'outcome', 'slice', 'length', 'message', 'thumb']) {
      expect(pattern.test(name), name).toBe(false);
    }
  });
});
