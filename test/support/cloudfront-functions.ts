/**
 * The CloudFront Functions a spec's behaviors run on viewer request (image-request's
 * cloudfront-js-2.0 build, for `*` by default), built from the core and loaded in the local sandbox:
 * for tests that start the edge themselves, as infra/local-stack.ts does for `npm start`.
 */
import { buildCloudFrontFunction } from '../../infra/build/cloudfront-function.ts';
import { cloudFrontFunctionsOf } from '../../infra/build/limits.ts';
import { imageRequestConfig } from '../../infra/config.ts';
import type { DistributionSpec, FunctionName } from '../../infra/distribution.ts';
import { loadCloudFrontFunction } from '../../infra/local/cloudfront-sandbox.ts';
import type { CloudFrontFunctionInstance } from '../../infra/local/cloudfront-sandbox.ts';

export async function cloudFrontFunctionsFor(spec: DistributionSpec): Promise<Partial<Record<FunctionName, CloudFrontFunctionInstance>>> {
  const loaded: Partial<Record<FunctionName, CloudFrontFunctionInstance>> = {};
  for (const { fn } of cloudFrontFunctionsOf(spec)) {
    const built = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig(spec) });
    loaded[fn] = loadCloudFrontFunction(built.code);
  }
  return loaded;
}
