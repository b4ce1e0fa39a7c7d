/**
 * Everything `npm start` runs, as one function the tests can start too: the embedded S3 seeded with
 * originals, and the edge running the real handlers against it.
 */
import path from 'node:path';
import { render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import { jsonLog } from '../../functions/core/log.ts';
import type { Log } from '../../functions/core/log.ts';
import { createHandler as imageRequest } from '../../functions/image-request/handler.ts';
import { createHandler as imageResize } from '../../functions/image-resize/handler.ts';
import { imageRequestConfig, imageResizeConfig } from '../config.ts';
import { distribution } from '../distribution.ts';
import type { DistributionSpec, S3OriginSpec } from '../distribution.ts';
import { startEdge } from './edge.ts';
import { Gallery } from './gallery/routes.ts';
import type { Edge, EdgeOptions } from './edge.ts';
import { seedOriginals, startLocalS3 } from './s3.ts';
import type { LocalS3 } from './s3.ts';

export interface LocalStackOptions {
  readonly spec?: DistributionSpec;
  /** Originals to seed the primary bucket with; default fixtures/images. */
  readonly images?: string;
  readonly port?: number;
  readonly quotas?: EdgeOptions['quotas'];
  readonly log?: Log;
  readonly onTrace?: EdgeOptions['onTrace'];
}

export interface LocalStack {
  readonly edge: Edge;
  readonly s3: LocalS3;
  readonly bucket: string;
  readonly seeded: readonly string[];
  readonly gallery: Gallery;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const spec = options.spec ?? distribution;
  const log = options.log ?? jsonLog;
  const s3Origins = spec.origins.filter((o): o is S3OriginSpec => o.kind === 's3');
  const primary = s3Origins[0];
  if (!primary) throw new Error(`Expected an S3 origin in ${spec.name} but received none`);
  const s3 = await startLocalS3({ buckets: s3Origins.map((o) => o.bucket) });
  try {
    const seeded = await seedOriginals(s3.client, primary.bucket, path.resolve(options.images ?? 'fixtures/images'));
    const store = s3Store(() => s3.client);
    let edge: Edge | undefined;
    const gallery = new Gallery({ s3: s3.client, bucket: primary.bucket, policy: spec.images, cache: () => edge!.cache });
    edge = await startEdge({
      spec,
      functions: {
        'image-request': imageRequest(imageRequestConfig(spec), { log }),
        'image-resize': imageResize(imageResizeConfig(spec), { store, render, log }),
      },
      endpoints: Object.fromEntries(s3Origins.map((o) => [o.id, s3.endpoint])),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.quotas ? { quotas: options.quotas } : {}),
      onTrace: (trace) => {
        gallery.record(trace);
        options.onTrace?.(trace);
      },
      localRoutes: gallery.route,
    });
    return {
      edge,
      s3,
      bucket: primary.bucket,
      seeded,
      gallery,
      async close() {
        await edge.close();
        await s3.close();
      },
    };
  } catch (error) {
    await s3.close();
    throw error;
  }
}
