/**
 * A complete stage, as an operator fills one in: copy it to infra/stages/<stage>.ts and replace every
 * value. It is also the stage the resource plan (infra/stages/sample.plan.md) is rendered from.
 * Fictional values: account 111122223333 is AWS's documentation example; the public key's private
 * half was never kept.
 */
import { defineStage } from './schema.ts';

export default defineStage({
  account: '111122223333',
  domain: { name: 'img.northwind-photos.com', hostedZoneId: 'Z0SAMPLEZONE42', geoDns: false },
  priceClass: 'PriceClass_200',
  // Browser uploads from the site: the grant function, and Transfer Acceleration for far-away users
  // (per-GB charge: docs/uploads.md says when it pays).
  uploads: { grant: true, accelerate: true, allowedOrigins: ['https://www.northwind-photos.com'] },
  logging: { bucket: 'northwind-cdn-logs', prefix: 'edge-images/' },
  derivedExpirationDays: 30,
  // The HTTP image origin, deployed with the stack: 2 to 10 containers behind a load balancer at
  // origin.img.northwind-photos.com (overrides.origins below), reading the EU replica.
  imageOrigin: { deploy: 'service', min: 2, max: 10, bucketOrigin: 'images-s3-eu' },
  overrides: {
    origins: [
      // The HTTP image origin (the origin group's secondary): deployed here (imageOrigin), HTTPS on 443.
      { id: 'image-origin', domainName: 'origin.img.northwind-photos.com', port: 443, protocol: 'https' },
      // China's route (geo table below) goes to a host in Hong Kong.
      { id: 'image-origin-hk', domainName: 'hk.img.northwind-photos.com', port: 443, protocol: 'https' },
    ],
    // PUBLIC keys only; their private halves stay with the services that sign URLs.
    keyGroups: [
      {
        name: 'private-images',
        keys: [
          {
            id: 'K2SAMPLE0NORTHWIND',
            name: 'northwind-signer-2026',
            comment: 'signing service, rotated yearly',
            pem: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOKpS7rQGsMYU6RbigYyHK+m6DjUp\nkv1zg847KbNPJVbccjPHfq+hZ1OJ3WmoBKIgJJstkOgsTv0FpSDGfooQ2w==\n-----END PUBLIC KEY-----\n',
          },
        ],
      },
    ],
  },
});
