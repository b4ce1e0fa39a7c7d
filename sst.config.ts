/// <reference path="./.sst/platform/config.d.ts" />
/**
 * SST v4 app: everything is built from infra/distribution.ts by infra/edge-images.ts (plain Pulumi,
 * tested under mocks in test/integration/infra.test.ts). This file only reads the stage's options and wires the
 * `sst dev` pane. Options come from EDGE_IMAGES_* variables (infra/options.ts), e.g.
 *   EDGE_IMAGES_DOMAIN=cdn.example.com EDGE_IMAGES_HOSTED_ZONE_ID=Z0123 npx sst deploy --stage production
 * SST loads only dynamic imports inside run(), never top-level ones.
 */
export default $config({
  app(input) {
    return {
      name: 'edge-images',
      home: 'aws',
      // Production keeps its buckets and refuses `sst remove`; other stages clean up after themselves.
      removal: input?.stage === 'production' ? 'retain' : 'remove',
      protect: input?.stage === 'production',
      // The default provider; Lambda@Edge and the certificate use an explicit us-east-1 provider anyway.
      providers: { aws: { region: 'us-east-1' } },
    };
  },
  async run() {
    const { distribution } = await import('./infra/distribution.ts');
    const { geoDns } = await import('./infra/geo.ts');
    const { deployOptionsFromEnv, stageOverrides } = await import('./infra/options.ts');
    const { buildStageArtifacts, writeStageOverrides } = await import('./infra/artifacts.ts');
    const { createEdgeImages } = await import('./infra/edge-images.ts');
    const { localEdgeDevCommand } = await import('./infra/dev.ts');

    const root = $cli.paths.root;
    const options = deployOptionsFromEnv(process.env, { app: $app.name, stage: $app.stage, root, dev: $dev });
    const overrides = stageOverrides(distribution, options);
    // The zips are made by `npm run package` with the stage's bucket names baked in.
    const artifacts = options.cdn ? buildStageArtifacts(root, $app.stage, overrides) : undefined;
    const files = writeStageOverrides(root, $app.stage, overrides);
    const stack = createEdgeImages(distribution, options, { ...(artifacts ? { artifacts } : {}), geoDns });

    if ($dev) {
      // The local edge, on the stage's real buckets: function changes show without any redeploy.
      new sst.x.DevCommand('LocalEdge', localEdgeDevCommand({ root, stage: $app.stage, configFile: files.overridesFile, s3: 'aws' }));
    }

    return {
      bucket: stack.buckets.primary.bucket.bucket,
      replicas: stack.buckets.replicas.map((r) => r.bucket.bucket),
      ...(stack.cdn
        ? {
            url: stack.url,
            distributionId: stack.cdn.distribution.id,
            distributionDomain: stack.cdn.distribution.domainName,
            s3OriginAccess: stack.cdn.access,
          }
        : {}),
      functions: Object.fromEntries([...stack.functions].map(([fn, f]) => [fn, f.versionArn])),
      // derived-cleanup, per bucket region: the function and the queue its failed events go to.
      ...(stack.derivedCleanup
        ? {
            derivedCleanup: Object.fromEntries(
              [...stack.derivedCleanup.byRegion].map(([region, c]) => [region, { function: c.lambda.arn, failures: c.failures.url }]),
            ),
          }
        : {}),
    };
  },
});
