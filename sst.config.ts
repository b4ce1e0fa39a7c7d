/// <reference path="./.sst/platform/config.d.ts" />
/**
 * SST v4 app: everything is built from infra/distribution.ts by infra/edge-images.ts (SST components
 * where they fit, raw Pulumi where they cannot serve; tested under mocks in test/integration/infra.test.ts). This file reads the stage file (infra/stages/<stage>.ts,
 * else infra/stages/default.ts), runs the preflight before anything is created, and wires the
 * `sst dev` pane:
 *   npx sst deploy --stage production      (after `npm run preflight -- --stage production` passes)
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
    const { deployOptionsFromStage, stageOverrides } = await import('./infra/options.ts');
    const { loadStage } = await import('./infra/stages/load.ts');
    const { formatPreflight, preflight } = await import('./infra/preflight.ts');
    const { buildStageArtifacts, writeStageOverrides } = await import('./infra/artifacts.ts');
    const { createEdgeImages } = await import('./infra/edge-images.ts');
    const { localEdgeDevCommand } = await import('./infra/dev.ts');

    const root = $cli.paths.root;
    const stage = await loadStage(root, $app.stage);
    // Bucket names carry the account of the credentials (S3 names are global); the stage file's
    // account, when set, must be that one.
    const { accountId: account } = await aws.getCallerIdentity({});
    const mode = $dev ? 'dev' : 'deploy';
    const problems = preflight(stage, { app: $app.name, mode, account });
    if (problems.length > 0) throw new Error(formatPreflight(stage, mode, problems));
    const options = deployOptionsFromStage(stage.config, { app: $app.name, stage: $app.stage, root, dev: $dev, account });
    const overrides = stageOverrides(distribution, options);
    // The zips are made by `npm run package` with the stage's bucket names baked in.
    const artifacts = options.cdn ? buildStageArtifacts(root, $app.stage, overrides) : undefined;
    const files = writeStageOverrides(root, $app.stage, overrides);
    // The upload token key the stage shares with its sites' backends: `npx sst secret set UploadGrantKey <key>`.
    const uploadGrantKey = options.uploads?.grant ? new sst.Secret('UploadGrantKey').value : undefined;
    const stack = createEdgeImages(distribution, options, {
      ...(artifacts ? { artifacts } : {}),
      geoDns,
      sst: sst.aws,
      ...(uploadGrantKey ? { uploadGrantKey } : {}),
    });

    if ($dev) {
      // The local edge, on the stage's real buckets: function changes show without any redeploy.
      new sst.x.DevCommand('LocalEdge', localEdgeDevCommand({ root, stage: $app.stage, configFile: files.overridesFile, s3: 'aws' }));
    }

    return {
      bucket: stack.buckets.primary.name,
      replicas: stack.buckets.replicas.map((r) => r.name),
      ...(stack.cdn
        ? {
            url: stack.url,
            distributionId: stack.cdn.distribution.id,
            distributionDomain: stack.cdn.distribution.domainName,
            s3OriginAccess: stack.cdn.access,
          }
        : {}),
      functions: Object.fromEntries([...stack.functions].map(([fn, f]) => [fn, f.versionArn])),
      // Where sites' browsers ask for upload grants (docs/uploads.md).
      ...(stack.uploadGrant ? { uploadGrantUrl: stack.uploadGrant.url.functionUrl } : {}),
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
