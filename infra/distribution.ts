/**
 * THE single source of truth for the CDN: origins, the origin group, cache behaviors, which function
 * runs on which event, and the image policy. SST (infra/*.ts) and the local edge (infra/local/) are
 * both built from this plain, typed data, so the local edge cannot drift from what is deployed.
 */
import type { ImagePolicy } from '../functions/core/policy.ts';

export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';
export type FunctionName = 'image-request' | 'image-resize';

export interface S3OriginSpec {
  readonly kind: 's3';
  readonly id: string;
  readonly bucket: string;
  readonly region: string;
}

export interface CustomOriginSpec {
  readonly kind: 'custom';
  readonly id: string;
  readonly domainName: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly path?: string;
}

export type OriginSpec = S3OriginSpec | CustomOriginSpec;

export interface OriginGroupSpec {
  readonly id: string;
  readonly primary: string;
  readonly secondary: string;
  /** Status codes that make CloudFront retry the secondary. 403/404 are deliberately absent. */
  readonly failoverStatusCodes: readonly (400 | 403 | 404 | 416 | 429 | 500 | 502 | 503 | 504)[];
}

export interface CachePolicySpec {
  /** Seconds, as CloudFront's cache policy: used when the origin sends no Cache-Control. */
  readonly defaultTtl: number;
  readonly minTtl: number;
  readonly maxTtl: number;
  /** Whether the query string is part of the cache key (ours: no, the URI is canonical). */
  readonly queryStringInKey: boolean;
}

export interface BehaviorSpec {
  /** CloudFront path pattern: `*` any run, `?` one character, case-sensitive; `*` is the default. */
  readonly pathPattern: string;
  /** An origin id or an origin group id. */
  readonly target: string;
  readonly allowedMethods: readonly ('GET' | 'HEAD' | 'OPTIONS')[];
  readonly cachePolicy: CachePolicySpec;
  readonly functions: Partial<Record<EventType, FunctionName>>;
}

export interface FunctionSpec {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export interface DistributionSpec {
  readonly name: string;
  readonly origins: readonly OriginSpec[];
  readonly originGroups: readonly OriginGroupSpec[];
  /** In CloudFront's order: the first matching pattern wins, the `*` default comes last. */
  readonly behaviors: readonly BehaviorSpec[];
  readonly functions: Readonly<Record<FunctionName, FunctionSpec>>;
  readonly images: ImagePolicy;
}

const imageCachePolicy: CachePolicySpec = {
  defaultTtl: 86_400,
  minTtl: 0,
  maxTtl: 31_536_000,
  queryStringInKey: false,
};

export const images: ImagePolicy = {
  sizes: ['64x64', '128x128', '256x256', '512x512', '1024x1024', '96x96', '192x192', '384x384', '1200x630'],
  widths: [160, 320, 480, 640, 960, 1280, 1920],
  qualities: [40, 50, 60, 75, 85, 95],
  formats: ['avif', 'webp', 'jpg', 'png'],
  autoFormats: ['avif', 'webp'],
  presets: {
    thumb: { width: 128, height: 128, fit: 'cover' },
    avatar: { width: 64, height: 64, fit: 'cover', quality: 85 },
    card: { width: 640 },
    og: { width: 1200, height: 630, fit: 'cover', format: 'jpg', quality: 85 },
  },
  maxDpr: 3,
  defaults: { fit: 'cover', quality: 75, format: 'auto' },
  limits: {
    maxInputPixels: 100_000_000,
    maxInputBytes: 50 * 1024 * 1024,
  },
};

export const distribution: DistributionSpec = {
  name: 'edge-images',
  origins: [
    { kind: 's3', id: 'images-s3', bucket: 'edge-images-originals', region: 'us-east-1' },
    { kind: 'custom', id: 'image-origin', domainName: 'origin.images.example.com', port: 80, protocol: 'http' },
  ],
  originGroups: [
    {
      id: 'images',
      primary: 'images-s3',
      secondary: 'image-origin',
      failoverStatusCodes: [500, 502, 503, 504],
    },
  ],
  behaviors: [
    {
      pathPattern: '*',
      target: 'images',
      allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
      cachePolicy: imageCachePolicy,
      functions: { 'viewer-request': 'image-request', 'origin-response': 'image-resize' },
    },
  ],
  functions: {
    'image-request': { memoryMb: 128, timeoutSeconds: 5 },
    'image-resize': { memoryMb: 1536, timeoutSeconds: 30 },
  },
  images,
};

export function findOrigin(spec: DistributionSpec, id: string): OriginSpec {
  const origin = spec.origins.find((o) => o.id === id);
  if (!origin) throw new Error(`Expected an origin id of ${spec.name} but received ${JSON.stringify(id)}`);
  return origin;
}

/** The S3 REST domain CloudFront puts in `origin.s3.domainName` for a bucket. */
export function s3DomainName(origin: S3OriginSpec): string {
  return `${origin.bucket}.s3.${origin.region}.amazonaws.com`;
}
