/**
 * The response headers policy of every image behavior, as data: CORS for image GETs from any site,
 * the security headers, and Cross-Origin-Resource-Policy. cdn.ts deploys it (the CloudFront API's
 * shape: responseHeadersPolicyConfig); the local edge applies it (infra/local/response-headers.ts),
 * so `npm run verify` sees the same headers from both.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html
 */

export interface ResponseHeadersPolicySpec {
  readonly comment: string;
  /** Added to responses for CORS requests (a request with an Origin header). */
  readonly cors: {
    readonly allowCredentials: boolean;
    readonly allowHeaders: readonly string[];
    readonly allowMethods: readonly ('GET' | 'HEAD' | 'OPTIONS')[];
    readonly allowOrigins: readonly string[];
    readonly exposeHeaders: readonly string[];
    readonly maxAgeSeconds: number;
    /** Whether the policy's values replace CORS headers the origin sent. */
    readonly originOverride: boolean;
  };
  /** Added to every response of the behavior; `override`: replace what the origin sent. */
  readonly security: {
    readonly contentTypeOptions: { readonly override: boolean };
    readonly strictTransportSecurity: { readonly maxAgeSeconds: number; readonly includeSubdomains: boolean; readonly override: boolean };
    readonly referrerPolicy: { readonly value: 'strict-origin-when-cross-origin' | 'no-referrer' | 'same-origin'; readonly override: boolean };
    readonly frameOptions: { readonly value: 'DENY' | 'SAMEORIGIN'; readonly override: boolean };
  };
  readonly custom: readonly { readonly header: string; readonly value: string; readonly override: boolean }[];
}

export const imageResponseHeaders: ResponseHeadersPolicySpec = {
  comment: 'CORS for image GETs from any site, and security headers',
  cors: {
    allowCredentials: false,
    allowHeaders: ['*'],
    allowMethods: ['GET', 'HEAD', 'OPTIONS'],
    allowOrigins: ['*'],
    exposeHeaders: ['ETag', 'Content-Length', 'Content-Type'],
    maxAgeSeconds: 86_400,
    originOverride: true,
  },
  security: {
    contentTypeOptions: { override: true },
    strictTransportSecurity: { maxAgeSeconds: 63_072_000, includeSubdomains: true, override: true },
    referrerPolicy: { value: 'strict-origin-when-cross-origin', override: true },
    frameOptions: { value: 'DENY', override: true },
  },
  custom: [{ header: 'Cross-Origin-Resource-Policy', value: 'cross-origin', override: true }],
};

/** The policy in the CloudFront API's shape (ResponseHeadersPolicyConfig without its name), for SST. */
export function responseHeadersPolicyConfig(policy: ResponseHeadersPolicySpec) {
  const { cors, security } = policy;
  return {
    comment: policy.comment,
    corsConfig: {
      accessControlAllowCredentials: cors.allowCredentials,
      accessControlAllowHeaders: { items: [...cors.allowHeaders] },
      accessControlAllowMethods: { items: [...cors.allowMethods] },
      accessControlAllowOrigins: { items: [...cors.allowOrigins] },
      accessControlExposeHeaders: { items: [...cors.exposeHeaders] },
      accessControlMaxAgeSec: cors.maxAgeSeconds,
      originOverride: cors.originOverride,
    },
    securityHeadersConfig: {
      contentTypeOptions: { override: security.contentTypeOptions.override },
      strictTransportSecurity: {
        accessControlMaxAgeSec: security.strictTransportSecurity.maxAgeSeconds,
        includeSubdomains: security.strictTransportSecurity.includeSubdomains,
        override: security.strictTransportSecurity.override,
      },
      referrerPolicy: { referrerPolicy: security.referrerPolicy.value, override: security.referrerPolicy.override },
      frameOptions: { frameOption: security.frameOptions.value, override: security.frameOptions.override },
    },
    customHeadersConfig: { items: policy.custom.map((h) => ({ header: h.header, value: h.value, override: h.override })) },
  };
}
