import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../infra/build/overrides.ts';
import { cloudFrontFunctionsOf, distributionProblems, eventTypesOf, limitProblems, limitsOf, VIEWER_LIMITS } from '../../infra/build/limits.ts';
import { edgePermissionPolicy } from '../../infra/build/policies.ts';
import { localEdgeDevCommand } from '../../infra/dev.ts';
import { distribution } from '../../infra/distribution.ts';
import type { BehaviorSpec, DistributionSpec } from '../../infra/distribution.ts';
import sample from '../../infra/stages/sample.ts';
import { deployOptionsFromStage, primaryS3Origin, stageBucketName, stageLambdaName, stageOverrides, stageSpec } from '../../infra/options.ts';

const context = { app: 'edge-images', stage: 'alice', root: '/repo', dev: false };
const PRIMARY = primaryS3Origin(distribution);

describe('deploy options from a stage file', () => {
  it('has working defaults: CDN on, no domain, 30-day derived expiry, unique bucket names, OAC/OAI chosen from the data, an existing image origin', () => {
    expect(deployOptionsFromStage({}, context)).toEqual({
      app: 'edge-images',
      stage: 'alice',
      root: '/repo',
      bucketNaming: 'unique',
      derivedExpirationDays: 30,
      geoDns: false,
      priceClass: 'PriceClass_All',
      s3OriginAccess: 'auto',
      retainBuckets: false,
      cdn: true,
      overrides: {},
      imageOrigin: { deploy: 'existing' },
      // Browser uploads: no acceleration (a per-GB charge), no grant.
      uploads: { accelerate: false, grant: false, allowedOrigins: [] },
    });
    expect(deployOptionsFromStage({}, { ...context, stage: 'production' }).retainBuckets).toBe(true);
  });

  it('under sst dev, skips the CDN', () => {
    expect(deployOptionsFromStage({}, { ...context, dev: true }).cdn).toBe(false);
  });

  it("takes the domain, zone, price class, logging and overrides of the sample stage; the credentials' account wins", () => {
    const options = deployOptionsFromStage(sample, { ...context, account: '444455556666' });
    expect(options).toMatchObject({
      account: '444455556666',
      domain: { name: 'img.northwind-photos.com' },
      hostedZoneId: 'Z0SAMPLEZONE42',
      priceClass: 'PriceClass_200',
      logging: { bucket: 'northwind-cdn-logs', prefix: 'edge-images/' },
      overrides: sample.overrides,
    });
    expect(stageSpec(distribution, options).origins.find((o) => o.id === PRIMARY.id)).toMatchObject({
      bucket: `${PRIMARY.bucket}-alice-444455556666-${PRIMARY.region}`,
    });
    expect(stageSpec(distribution, { ...options, bucketNaming: 'as-written' }).origins.find((o) => o.id === PRIMARY.id)).toMatchObject({
      bucket: PRIMARY.bucket,
    });
  });
});

describe('stage names', () => {
  it('suffixes every bucket with the stage and bakes those names into the functions', () => {
    const overrides = stageOverrides(distribution, { stage: 'alice', overrides: {} });
    const spec = applyOverrides(distribution, overrides);
    for (const origin of spec.origins) {
      const source = distribution.origins.find((o) => o.id === origin.id)!;
      if (origin.kind === 's3' && source.kind === 's3') expect(origin.bucket).toBe(`${source.bucket}-alice`);
      else expect(origin).toEqual(source);
    }
    const policy = JSON.stringify(edgePermissionPolicy(spec, 'image-resize', 'x'));
    expect(policy).toContain(`arn:aws:s3:::${PRIMARY.bucket}-alice/_derived/*`);
    expect(policy).not.toContain(`arn:aws:s3:::${PRIMARY.bucket}/`);
  });

  it('keeps names within AWS limits', () => {
    expect(stageBucketName({ kind: 's3', id: 'x', bucket: 'images', region: 'us-east-1' }, 'Feature_1')).toBe('images-feature-1');
    expect(() => stageBucketName({ kind: 's3', id: 'x', bucket: 'b'.repeat(60), region: 'us-east-1' }, 'prod')).toThrow(/at most 63 characters/);
    expect(stageBucketName({ kind: 's3', id: 'x', bucket: 'images', region: 'eu-west-1' }, 'prod', { account: '111122223333' })).toBe(
      'images-prod-111122223333-eu-west-1',
    );
    expect(stageLambdaName({ app: 'edge-images', stage: 'alice' }, 'image-resize')).toBe('edge-images-alice-image-resize');
    expect(() => stageLambdaName({ app: 'edge-images', stage: 's'.repeat(50) }, 'image-resize')).toThrow(/at most 64 characters/);
  });
});

describe('build overrides', () => {
  it('overlays origins by id and functions by name, replaces other keys', () => {
    const spec = applyOverrides(distribution, {
      origins: [{ id: 'image-origin', domainName: 'origin.acme.test' }],
      functions: { 'image-resize': { memoryMb: 2048 } },
      images: { ...distribution.images, qualities: [75] },
    });
    expect(spec.origins.find((o) => o.id === 'image-origin')).toMatchObject({ kind: 'custom', domainName: 'origin.acme.test', port: 80 });
    expect(spec.functions['image-resize']).toEqual({ memoryMb: 2048, timeoutSeconds: 30 });
    expect(spec.images.qualities).toEqual([75]);
    expect(spec.behaviors).toBe(distribution.behaviors);
    expect(applyOverrides(distribution, undefined)).toBe(distribution);
  });

  it('refuses what it cannot apply', () => {
    expect(() => applyOverrides(distribution, { bukets: {} } as never)).toThrow(/Expected a key of the distribution .* but received "bukets"/);
    expect(() => applyOverrides(distribution, { origins: [{ id: 'nope', bucket: 'x' }] })).toThrow(/but received "nope"/);
    expect(() => applyOverrides(distribution, { origins: [{ id: PRIMARY.id, kind: 'custom' } as never] })).toThrow(`Expected kind s3 for origin ${PRIMARY.id}`);
    expect(() => applyOverrides(distribution, { functions: { thumbnailer: { memoryMb: 1 } } as never })).toThrow(/but received "thumbnailer"/);
  });
});

describe('Lambda@Edge limits from the data', () => {
  it('knows which events each function runs on', () => {
    // image-request runs on viewer-request of `*` as a CloudFront Function: no Lambda@Edge association,
    // but the viewer limits still hold for its Lambda@Edge build (selectable per behavior).
    expect(eventTypesOf(distribution, 'image-request')).toEqual([]);
    expect(cloudFrontFunctionsOf(distribution)).toEqual([{ fn: 'image-request', pathPatterns: ['*'] }]);
    // signed-url runs on both viewer events of the signed behaviors (its viewer-response signs the over-cap redirect).
    expect(eventTypesOf(applyOverrides(distribution, {}), 'signed-url')).toEqual(['viewer-request', 'viewer-response']);
    expect(eventTypesOf(distribution, 'image-resize')).toEqual(['origin-response']);
    expect(limitsOf(distribution, 'image-request')).toBe(VIEWER_LIMITS);
    for (const fn of Object.keys(distribution.functions) as (keyof DistributionSpec['functions'])[]) {
      expect(limitProblems(distribution, fn), fn).toEqual([]);
    }
    expect(distributionProblems(distribution)).toEqual([]);
  });

  it('refuses a viewer function over 5 s or 128 MB, and a zip over the limit', () => {
    const spec = applyOverrides(distribution, { functions: { 'image-request': { timeoutSeconds: 6, memoryMb: 256 } } });
    expect(limitProblems(spec, 'image-request', 2 * 1024 * 1024)).toEqual([
      'Expected a timeout of 1 to 5 s for image-request (viewer-request) but received 6',
      'Expected a memory of 128 to 128 MB for image-request (viewer-request) but received 256',
      'Expected a zip of at most 1000000 bytes for image-request (viewer-request) but received 2097152',
    ]);
    const origin = applyOverrides(distribution, { functions: { 'image-resize': { timeoutSeconds: 31 } } });
    expect(limitProblems(origin, 'image-resize')).toEqual(['Expected a timeout of 1 to 30 s for image-resize (origin-response) but received 31']);
  });

  it('runs only image-request as a CloudFront Function, never beside a Lambda@Edge viewer function', () => {
    const [priv, derivedPriv, pub] = distribution.behaviors as [BehaviorSpec, BehaviorSpec, BehaviorSpec];
    const signedAsFunction: DistributionSpec = { ...distribution, behaviors: [{ ...priv, viewerRequestRuntime: 'cloudfront-function' }, derivedPriv, pub] };
    expect(distributionProblems(signedAsFunction)).toEqual([
      'Expected a function with a CloudFront Function build (image-request) on viewer-request of behavior /private/* but received "signed-url"',
      'Expected no Lambda@Edge viewer-response beside a CloudFront Function on viewer-request of behavior /private/* but received signed-url',
    ]);
    const mixed: DistributionSpec = {
      ...distribution,
      behaviors: [priv, derivedPriv, { ...pub, functions: { ...pub.functions, 'viewer-response': 'geo-route' } }],
    };
    expect(distributionProblems(mixed)).toEqual([
      'Expected no Lambda@Edge viewer-response beside a CloudFront Function on viewer-request of behavior * but received geo-route',
    ]);
    const lambdaEdge: DistributionSpec = { ...distribution, behaviors: [priv, derivedPriv, { ...pub, viewerRequestRuntime: 'lambda-edge' }] };
    expect(distributionProblems(lambdaEdge)).toEqual([]);
    expect(eventTypesOf(lambdaEdge, 'image-request')).toEqual(['viewer-request']);
    expect(cloudFrontFunctionsOf(lambdaEdge)).toEqual([]);
  });

  it('refuses behaviors that name unknown targets or put the default anywhere but last', () => {
    const spec: DistributionSpec = {
      ...distribution,
      behaviors: [...distribution.behaviors].reverse().map((b, i) => (i === 1 ? { ...b, target: 'nowhere' } : b)),
    };
    const problems = distributionProblems(spec);
    expect(problems).toContain('Expected the last behavior to be the default (*) but received "/private/*"');
    expect(problems.some((p) => p.includes('received "nowhere"'))).toBe(true);
  });
});

describe('the sst dev hook', () => {
  it('runs the local edge on the stage overrides with real S3', () => {
    expect(localEdgeDevCommand({ root: '/repo', stage: 'alice', configFile: '/repo/.build/sst/alice/overrides.json', s3: 'aws' })).toEqual({
      dev: { command: 'npm start -- --config .build/sst/alice/overrides.json --s3 aws', directory: '/repo', autostart: true, title: 'Local edge' },
    });
    expect(localEdgeDevCommand({ root: '/my repo', stage: 'a', configFile: "/my repo/it's.json", s3: 'aws' }).dev.command).toBe(
      `npm start -- --config 'it'\\''s.json' --s3 aws`,
    );
  });
});

describe('upload-grant as a stage bakes it', () => {
  it('names the stage, and the accelerate endpoint only when the stage turns acceleration on', async () => {
    const { uploadGrantConfig } = await import('../../infra/config.ts');
    const { stageSpec } = await import('../../infra/options.ts');
    const { distribution } = await import('../../infra/distribution.ts');
    const base = { app: 'edge-images', stage: 'alice', root: '/repo', dev: false, account: '111122223333' };
    const plain = uploadGrantConfig(stageSpec(distribution, deployOptionsFromStage({ uploads: { grant: true } }, base)));
    const bucket = 'edge-images-originals-alice-111122223333-us-east-1';
    expect(plain).toMatchObject({ stage: 'alice', bucket, region: 'us-east-1', endpoint: `https://${bucket}.s3.us-east-1.amazonaws.com/` });
    const fast = uploadGrantConfig(stageSpec(distribution, deployOptionsFromStage({ uploads: { grant: true, accelerate: true } }, base)));
    expect(fast.endpoint).toBe(`https://${bucket}.s3-accelerate.amazonaws.com/`);
    expect(fast.maxBytes).toBe(distribution.images.limits.maxInputBytes);
  });
});
