/**
 * The miss path of image-resize, measured three ways in one process against the embedded S3:
 *   miss   the real handler: origin-response event -> GetObject -> sharp -> PutObject -> base64 answer
 *   floor  the plainest GetObject -> sharp -> PutObject -> base64 sequence, no logic of its own
 *   bare   the engine's sharp work alone, on bytes already in memory (the physical limit)
 * Each run resizes a fresh original key, so every handler run is a real miss and a real write.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { originResponseEvent } from '../functions/adapters/cloudfront/events.ts';
import { render } from '../functions/adapters/image/render.ts';
import { s3Store } from '../functions/adapters/s3/store.ts';
import { derivedUri } from '../functions/core/grammar.ts';
import type { Variant } from '../functions/core/grammar.ts';
import { silentLog } from '../functions/core/log.ts';
import { createHandler } from '../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../infra/config.ts';
import { distribution, s3DomainName } from '../infra/distribution.ts';
import type { S3OriginSpec } from '../infra/distribution.ts';
import { startLocalS3 } from '../infra/local/s3.ts';
import { interleave, round, summary } from './stats.ts';

export interface MissCase {
  readonly name: string;
  readonly source: string;
  readonly variant: Variant;
  readonly rounds: number;
}

export const THUMB_12MP_WEBP: MissCase = {
  name: '12mp-jpeg-to-128x128-webp',
  source: 'fixtures/images/landscape-12mp.jpg',
  variant: { width: 128, height: 128, fit: 'cover', quality: 75, format: 'webp' },
  rounds: 25,
};

export async function benchMissPath(cases: readonly MissCase[] = [THUMB_12MP_WEBP]) {
  const origin = distribution.origins.find((o): o is S3OriginSpec => o.kind === 's3')!;
  const s3 = await startLocalS3({ buckets: [origin.bucket] });
  const config = imageResizeConfig();
  const handler = createHandler(config, { store: s3Store(() => s3.client), render, log: silentLog });
  const results: Record<string, unknown>[] = [];
  try {
    for (const c of cases) {
      const source = await readFile(c.source);
      const total = c.rounds + 2;
      for (let i = -2; i < total; i++) {
        for (const path of ['miss', 'floor']) {
          await s3.client.send(new PutObjectCommand({ Bucket: origin.bucket, Key: `bench/${path}-${i}.jpg`, Body: source, ContentType: 'image/jpeg' }));
        }
      }
      let missIndex = -2;
      let floorIndex = -2;
      const timings = await interleave(
        {
          miss: async () => {
            const key = `bench/miss-${missIndex++}.jpg`;
            const event = originResponseEvent({
              clientIp: '127.0.0.1',
              uri: derivedUri(key, c.variant),
              origin: { s3: { domainName: s3DomainName(origin), region: origin.region, path: '', authMethod: 'origin-access-identity', customHeaders: {} } },
              response: { status: '404', statusDescription: 'Not Found', headers: {} },
            });
            const result = await handler(event);
            if (!result || !('status' in result) || result.status !== '200') throw new Error(`miss path answered ${JSON.stringify(result).slice(0, 200)}`);
          },
          floor: async () => {
            const key = `bench/floor-${floorIndex++}.jpg`;
            const got = await s3.client.send(new GetObjectCommand({ Bucket: origin.bucket, Key: key }));
            const bytes = await got.Body!.transformToByteArray();
            const out = await plainSharp(Buffer.from(bytes), c.variant);
            await s3.client.send(new PutObjectCommand({ Bucket: origin.bucket, Key: `_derived/${key}/floor.webp`, Body: out, ContentType: 'image/webp' }));
            out.toString('base64');
          },
          bare: async () => {
            await render(source, c.variant, config.policy.limits);
          },
        },
        c.rounds,
      );
      const miss = summary(timings.miss);
      const floor = summary(timings.floor);
      const bare = summary(timings.bare);
      results.push({
        case: c.name,
        miss,
        floor,
        bare,
        miss_vs_floor: round(miss.median_ms / floor.median_ms, 3),
        miss_vs_bare: round(miss.median_ms / bare.median_ms, 3),
        floor_vs_bare: round(floor.median_ms / bare.median_ms, 3),
      });
    }
  } finally {
    await s3.close();
  }
  return results;
}

/** The same resize and encoder settings as the engine, written the plain way (default decoding). */
function plainSharp(source: Buffer, v: Variant): Promise<Buffer> {
  const image = sharp(source, { autoOrient: true }).resize({ width: v.width, height: v.height, fit: v.fit, withoutEnlargement: true });
  switch (v.format) {
    case 'webp':
      return image.webp({ quality: v.quality, effort: 3 }).toBuffer();
    case 'avif':
      return image.avif({ quality: v.quality, effort: 2 }).toBuffer();
    case 'jpg':
      return image.jpeg({ quality: v.quality, mozjpeg: true }).toBuffer();
    case 'png':
      return image.png({ compressionLevel: 8, adaptiveFiltering: false }).toBuffer();
    case 'gif':
      return image.gif().toBuffer();
  }
}
