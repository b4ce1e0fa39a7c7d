/**
 * The preflight, one test per rule: a stage that breaks the rule gets a line naming it and what to
 * do; the sample stage passes every rule; the repository default is refused for a real deployment.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides } from './build/overrides.ts';
import type { BehaviorSpec } from './distribution.ts';
import { distribution } from './distribution.ts';
import { TEST_ECDSA_PUBLIC_KEY, TEST_RSA_PUBLIC_KEY, isTestOnlyKey } from './keys.ts';
import { CLOUDFRONT_QUOTAS, bucketNameProblems, preflight } from './preflight.ts';
import type { PreflightContext, PreflightRule } from './preflight.ts';
import type { LoadedStage } from './stages/load.ts';
import { loadStage } from './stages/load.ts';
import type { StageConfig } from './stages/schema.ts';
import sample from './stages/sample.ts';

const root = path.resolve(import.meta.dirname, '..');
const deploy: PreflightContext = { app: 'edge-images', mode: 'deploy' };
const stage = (config: StageConfig, name = 'prod'): LoadedStage => ({ name, file: `infra/stages/${name}.ts`, isDefault: false, config });
/** The sample stage with some changes: every problem then comes from the change. */
const withSample = (change: (config: StageConfig) => StageConfig) => stage(change(sample));
const rules = (s: LoadedStage, context = deploy) => preflight(s, context);
const only = (s: LoadedStage, rule: PreflightRule, context = deploy) =>
  rules(s, context)
    .filter((p) => p.rule === rule)
    .map((p) => p.message);

describe('preflight', () => {
  it('passes the sample stage on every rule', () => {
    expect(rules(stage(sample))).toEqual([]);
  });

  it('refuses the repository default for a real deployment, saying which file to create and what to replace', async () => {
    const loaded = await loadStage(root, 'production');
    expect(loaded).toMatchObject({ file: path.join('infra', 'stages', 'default.ts'), isDefault: true });
    const problems = rules(loaded);
    expect(problems.map((p) => p.rule).sort()).toEqual(['placeholder', 'placeholder', 'placeholder', 'test-key', 'test-key']);
    const text = problems.map((p) => p.message).join('\n');
    expect(text).toContain('copy infra/stages/sample.ts to infra/stages/production.ts');
    expect(text).toContain('Replace the placeholder host origin.images.example.com of origin image-origin');
    expect(text).toContain('TEST-ONLY key K0TESTONLYRSA1');
    // sst dev deploys buckets only: the placeholders and keys are not deployed there.
    expect(rules(loaded, { app: 'edge-images', mode: 'dev' })).toEqual([]);
  });

  it('loads a stage from its own file when there is one', async () => {
    const loaded = await loadStage(root, 'sample');
    expect(loaded.isDefault).toBe(false);
    expect(loaded.config.domain?.name).toBe(sample.domain?.name);
  });

  it('placeholder: a domain or an origin host under example.com or a reserved TLD', () => {
    const s = withSample((c) => ({
      ...c,
      domain: { name: 'cdn.example.org', hostedZoneId: 'Z1' },
      overrides: { ...c.overrides, origins: [{ id: 'image-origin', domainName: 'images.test', port: 443, protocol: 'https' }] },
    }));
    const messages = only(s, 'placeholder');
    expect(messages).toHaveLength(3); // image-origin-hk, no longer overridden, is back on its example.com default
    expect(messages.join('\n')).toMatch(/placeholder domain cdn\.example\.org/);
    expect(messages.join('\n')).toMatch(/placeholder host images\.test of origin image-origin/);
  });

  it('test-key: a TEST-ONLY key, even re-wrapped under another id', () => {
    const rewrapped = { ...TEST_ECDSA_PUBLIC_KEY, id: 'KMYOWNKEY', pem: TEST_ECDSA_PUBLIC_KEY.pem.replaceAll('\n', '\r\n  ') };
    expect(isTestOnlyKey(rewrapped)).toBe(true);
    expect(isTestOnlyKey(TEST_RSA_PUBLIC_KEY.pem)).toBe(true);
    expect(isTestOnlyKey(sample.overrides!.keyGroups![0]!.keys[0]!)).toBe(false);
    const s = withSample((c) => ({ ...c, overrides: { ...c.overrides, keyGroups: [{ name: 'private-images', keys: [rewrapped] }] } }));
    expect(only(s, 'test-key')).toEqual([expect.stringContaining('trusts the TEST-ONLY key KMYOWNKEY')]);
  });

  it('account: twelve digits, and the credentials must be of that account', () => {
    expect(
      only(
        withSample((c) => ({ ...c, account: '1234' })),
        'account',
      ),
    ).toEqual([expect.stringContaining('Expected a 12-digit AWS account id')]);
    expect(only(stage(sample), 'account', { ...deploy, account: '999988887777' })).toEqual([expect.stringContaining('credentials of account 111122223333')]);
  });

  it('bucket-name: S3 naming rules on the name the stage really gets, and one bucket per origin', () => {
    expect(bucketNameProblems('edge-images-originals-prod-111122223333-us-east-1')).toEqual([]);
    expect(bucketNameProblems('My_Bucket')).toContain('only lowercase letters, digits, dots and hyphens');
    expect(bucketNameProblems('a.b')).toContain('no dots (a dotted name breaks the TLS certificate of its S3 host name)');
    expect(bucketNameProblems('192.168.1.1')).toContain('not an IP address');
    expect(bucketNameProblems('xn--images')).toContain('not the reserved prefix xn--');
    expect(bucketNameProblems('images-s3alias')).toContain('not the reserved suffix -s3alias');
    const long = withSample((c) => ({
      ...c,
      overrides: { ...c.overrides, origins: [{ id: 'images-s3', bucket: 'northwind-photography-originals-primary' }] },
    }));
    expect(only(long, 'bucket-name')).toEqual([
      expect.stringMatching(/3 to 63 characters .* for origin images-s3 but received northwind-photography-originals-primary-prod-111122223333-us-east-1/),
    ]);
    const twins = withSample((c) => ({
      ...c,
      bucketNaming: 'as-written',
      overrides: { ...c.overrides, origins: [{ id: 'images-s3-eu', bucket: 'edge-images-originals' }] },
    }));
    expect(only(twins, 'bucket-name')).toEqual([expect.stringContaining('images-s3-eu and images-s3 are both edge-images-originals')]);
  });

  it('origin: a host name (no IP, scheme or path), a port CloudFront allows for the protocol, a path shape', () => {
    const s = withSample((c) => ({
      ...c,
      overrides: {
        ...c.overrides,
        origins: [
          { id: 'image-origin', domainName: '203.0.113.7', port: 8080, protocol: 'http' },
          { id: 'image-origin-hk', domainName: 'https://hk.img.northwind-photos.com', port: 81, protocol: 'https', path: 'images/' },
          { id: 'images-s3-eu', region: 'europe' },
        ],
      },
    }));
    const messages = only(s, 'origin');
    expect(messages).toEqual([
      expect.stringContaining('for the region of origin images-s3-eu but received "europe"'),
      expect.stringContaining('Expected a domain name (CloudFront refuses IP addresses) for origin image-origin'),
      expect.stringContaining('Expected a bare host name (no scheme, port or path) for origin image-origin-hk'),
      expect.stringContaining('Expected port 443 or 1024-65535 for https origin image-origin-hk but received 81'),
      expect.stringContaining('Expected an origin path that starts with / and does not end with / for origin image-origin-hk'),
    ]);
  });

  it('path-pattern: allowed characters, no duplicate, one default last', () => {
    const [privateBehavior, , fallback] = distribution.behaviors as [BehaviorSpec, BehaviorSpec, BehaviorSpec];
    const behaviors = [
      { ...privateBehavior, pathPattern: '/private/*' },
      { ...privateBehavior, pathPattern: '/private/*' },
      { ...privateBehavior, pathPattern: '/ph otos/[a-z]*' },
      fallback,
      { ...fallback, pathPattern: '/late/*' },
    ];
    const messages = only(
      withSample((c) => ({ ...c, overrides: { ...c.overrides, behaviors } })),
      'path-pattern',
    );
    expect(messages).toEqual([
      expect.stringContaining('"/private/*" twice'),
      expect.stringContaining('but received "/ph otos/[a-z]*"'),
      'Expected the last behavior to be the default (*) but received "/late/*"',
    ]);
  });

  it('function: Lambda@Edge memory and timeout, and zip sizes from a package', () => {
    const s = withSample((c) => ({ ...c, overrides: { ...c.overrides, functions: { 'image-request': { memoryMb: 512 } } } }));
    expect(only(s, 'function')).toEqual([expect.stringContaining('Expected a memory of 128 to 128 MB for image-request (viewer-request)')]);
    const manifest = { functions: [{ function: 'image-request', zipBytes: 2 * 1024 * 1024 }], regionalFunctions: [] } as unknown as NonNullable<
      PreflightContext['manifest']
    >;
    expect(only(stage(sample), 'function', { ...deploy, manifest })).toEqual([
      expect.stringContaining('Expected a zip of at most 1000000 bytes for image-request'),
    ]);
  });

  it('cache-ttl: minimum <= default <= maximum', () => {
    const behaviors = distribution.behaviors.map((b) => ({ ...b, cachePolicy: { ...b.cachePolicy, minTtl: 100, defaultTtl: 10 } }));
    const messages = only(
      withSample((c) => ({ ...c, overrides: { ...c.overrides, behaviors } })),
      'cache-ttl',
    );
    expect(messages).toHaveLength(distribution.behaviors.length);
    expect(messages[0]).toContain('minimum <= default <= maximum TTL for behavior /private/* but received 100 / 10 / 31536000');
  });

  it('quota: origins, origin groups, behaviors, key groups and keys per group within the default quotas', () => {
    const key = sample.overrides!.keyGroups![0]!.keys[0]!;
    const keyGroups = Array.from({ length: CLOUDFRONT_QUOTAS.keyGroups + 1 }, (_, i) => ({
      name: i === 0 ? 'private-images' : `g${i}`,
      keys: Array.from({ length: i === 0 ? 6 : 1 }, (_, k) => ({ ...key, id: `K${i}X${k}` })),
    }));
    const fallback = distribution.behaviors.at(-1)!;
    const behaviors = [...Array.from({ length: CLOUDFRONT_QUOTAS.behaviors }, (_, i) => ({ ...fallback, pathPattern: `/p${i}/*` })), fallback];
    const messages = only(
      withSample((c) => ({ ...c, overrides: { ...c.overrides, keyGroups, behaviors } })),
      'quota',
    );
    expect(messages).toEqual([
      "Expected at most 25 cache behaviors (CloudFront's default quota; ask AWS for more first) but received 26",
      "Expected at most 4 key groups (CloudFront's default quota; ask AWS for more first) but received 5",
      "Expected at most 5 public keys in key group private-images (CloudFront's default quota; ask AWS for more first) but received 6",
    ]);
  });

  it('geo: a route to an origin that does not exist', () => {
    const geo = { ...distribution.geo!, routes: [...distribution.geo!.routes, { origin: 'images-s3-us-west', countries: ['US'] }] };
    expect(
      only(
        withSample((c) => ({ ...c, overrides: { ...c.overrides, geo } })),
        'geo',
      ),
    ).toEqual([expect.stringContaining('unknown origin id "images-s3-us-west"')]);
  });

  it('domain: a us-east-1 certificate, or a zone to validate one; geo DNS needs the zone', () => {
    const wrongRegion = withSample((c) => ({
      ...c,
      domain: { name: 'img.northwind-photos.com', certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc', geoDns: true },
    }));
    expect(only(wrongRegion, 'domain')).toEqual([
      expect.stringContaining('Expected an ACM certificate ARN in us-east-1'),
      expect.stringContaining('Expected domain.hostedZoneId with domain.geoDns'),
    ]);
    expect(
      only(
        withSample((c) => ({ ...c, domain: { name: 'img.northwind-photos.com' } })),
        'domain',
      ),
    ).toEqual([expect.stringContaining('Expected domain.certificateArn or domain.hostedZoneId')]);
  });

  it('image-origin: a deployed origin needs HTTPS 443, the hosted zone, sane task counts and a Fargate size', () => {
    // The sample deploys it (2 to 10 tasks reading the EU replica) and passes (first test).
    expect(sample.imageOrigin).toMatchObject({ deploy: 'service' });
    const http = withSample((c) => ({
      ...c,
      domain: { name: 'img.northwind-photos.com', certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/abc' },
      imageOrigin: { deploy: 'service', min: 0, max: 200, cpu: 1, memoryGb: 16, bucketOrigin: 'image-origin-hk' },
      overrides: {
        ...c.overrides,
        origins: [
          { id: 'image-origin', domainName: 'origin.img.northwind-photos.com', port: 80, protocol: 'http' },
          { id: 'image-origin-hk', domainName: 'hk.img.northwind-photos.com', port: 443, protocol: 'https' },
        ],
      },
    }));
    expect(only(http, 'image-origin')).toEqual([
      expect.stringContaining("Expected https on port 443 for origin image-origin (the deployed origin's load balancer listens there) but received http on 80"),
      expect.stringContaining('Expected domain.hostedZoneId for imageOrigin.deploy'),
      expect.stringContaining('Expected a whole number of tasks from 1 to 100 for imageOrigin.min'),
      expect.stringContaining('Expected a whole number of tasks from imageOrigin.min (0) to 100 for imageOrigin.max'),
      expect.stringContaining("Expected a whole number of GB from 2 to 8 (Fargate's memory for 1 vCPU) for imageOrigin.memoryGb"),
      expect.stringContaining('Expected the id of an S3 origin for imageOrigin.bucketOrigin'),
    ]);
    // An existing host (the default) asks nothing of this rule.
    expect(
      only(
        withSample((c) => ({ ...c, imageOrigin: { deploy: 'existing' } })),
        'image-origin',
      ),
    ).toEqual([]);
  });

  it('overrides: an override the distribution cannot take stops the preflight with its reason', () => {
    const s = withSample((c) => ({ ...c, overrides: { origins: [{ id: 'images-s3-us', bucket: 'x' }] } }));
    expect(rules(s)).toEqual([{ rule: 'overrides', message: expect.stringContaining('Expected an origin id of the distribution') }]);
  });

  it('stage: a field a stage cannot have, or of the wrong type, is refused with the file and the field', () => {
    const s = withSample((c) => ({ ...c, priceclass: 'PriceClass_100', derivedExpirationDays: '30' }) as unknown as StageConfig);
    expect(rules(s)).toEqual([
      { rule: 'stage', message: 'Expected a number for derivedExpirationDays in infra/stages/prod.ts but received "30"' },
      { rule: 'stage', message: expect.stringMatching(/^Expected a field of a stage \(account, .*\) in infra\/stages\/prod\.ts but received "priceclass"$/) },
    ]);
  });

  it('overrides: merged deeply, so a stage changes one field of images and keeps the rest', () => {
    const s = withSample((c) => ({ ...c, overrides: { ...c.overrides, images: { widths: [320, 640, 960, 1280] } } }));
    expect(rules(s)).toEqual([]);
    const merged = applyOverrides(distribution, { images: { widths: [320, 640, 960, 1280] } }).images;
    expect(merged).toEqual({ ...distribution.images, widths: [320, 640, 960, 1280] });
  });

  it('overrides: a misspelt or mistyped field deep in the policy is named by its path and file', () => {
    const typo = withSample((c) => ({ ...c, overrides: { ...c.overrides, images: { limits: { maxInputPixel: 1 } } } }) as unknown as StageConfig);
    expect(only(typo, 'overrides')).toEqual([
      expect.stringMatching(
        /^Expected a field of images\.limits \(maxInputPixels, .*\) but received "maxInputPixel" \(overrides in infra\/stages\/prod\.ts\)$/,
      ),
    ]);
    const wrongType = withSample(
      (c) => ({ ...c, overrides: { ...c.overrides, images: { limits: { maxInputPixels: '300000000' } } } }) as unknown as StageConfig,
    );
    expect(only(wrongType, 'overrides')).toEqual([
      'Expected a number for images.limits.maxInputPixels but received "300000000" (overrides in infra/stages/prod.ts)',
    ]);
  });

  it("policy: presets and defaults outside the stage's own allowlist are refused, as the build refuses them", () => {
    const s = withSample((c) => ({ ...c, overrides: { ...c.overrides, images: { qualities: [50, 85] } } }));
    expect(only(s, 'policy')).toEqual([
      expect.stringContaining('preset "thumb"'),
      expect.stringContaining('preset "card"'),
      expect.stringContaining('preset "icon"'),
      expect.stringContaining('the default quality is not in the allowlist'),
    ]);
  });
});

describe('preflight: uploads', () => {
  const asWritten = (bucket: string, uploads: StageConfig['uploads']) =>
    withSample((c) => ({
      ...c,
      bucketNaming: 'as-written',
      uploads,
      overrides: { ...c.overrides, origins: [...(c.overrides?.origins ?? []), { id: 'images-s3', bucket }] },
    }));

  it('Transfer Acceleration needs a DNS-compliant originals bucket name without dots', () => {
    expect(only(asWritten('northwind-originals', { accelerate: true }), 'uploads')).toEqual([]);
    const dotted = only(asWritten('photos.northwind.com', { accelerate: true }), 'uploads');
    expect(dotted).toHaveLength(1);
    expect(dotted[0]).toContain('S3 Transfer Acceleration accepts (no dots');
    expect(dotted[0]).toContain('received photos.northwind.com');
    expect(only(asWritten('-northwind-', { accelerate: true }), 'uploads')[0]).toContain('one DNS label');
    // Without acceleration, the acceleration rule says nothing (bucket-name still refuses the dots).
    expect(only(asWritten('photos.northwind.com', { accelerate: false }), 'uploads')).toEqual([]);
  });

  it("the grant needs the sites' origins, each an https origin", () => {
    expect(
      only(
        withSample((c) => ({ ...c, uploads: { grant: true } })),
        'uploads',
      )[0],
    ).toContain('in uploads.allowedOrigins');
    const bad = only(
      withSample((c) => ({ ...c, uploads: { grant: true, allowedOrigins: ['http://www.northwind.com', 'https://www.northwind.com/upload', 'northwind'] } })),
      'uploads',
    );
    expect(bad).toHaveLength(3);
    expect(bad.join('\n')).toMatch(/not https/);
    expect(bad.join('\n')).toMatch(/not an origin \(it should read https:\/\/www\.northwind\.com\)/);
    expect(bad.join('\n')).toMatch(/not a URL/);
  });
});
