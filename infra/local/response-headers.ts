/**
 * The response headers policy (infra/response-headers.ts) as the local edge applies it: CloudFront
 * "modifies the headers in the responses that it sends to requests that match the cache behavior"
 * (adding-response-headers.html), security and custom headers on every such response, CORS headers
 * on responses to CORS requests (a request with an Origin header; ResponseHeadersPolicyCorsConfig).
 * `override: false` adds a header only when the response has none.
 * AWS does not say whether a response a viewer-request function generated gets them; our choice: it
 * does (it is a response sent to a request that matched the behavior).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-response-headers.html
 * https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html
 */
import type { CloudFrontHeaders } from 'aws-lambda';
import type { ResponseHeadersPolicySpec } from '../response-headers.ts';

function set(headers: CloudFrontHeaders, name: string, value: string, override: boolean): void {
  const lower = name.toLowerCase();
  if (!override && headers[lower] !== undefined) return;
  headers[lower] = [{ key: name, value }];
}

/** The response's headers with the policy's applied (a new map; the cached answer is never changed). */
export function withPolicyHeaders(
  policy: ResponseHeadersPolicySpec,
  request: { method: string; origin?: string | undefined },
  headers: CloudFrontHeaders,
): CloudFrontHeaders {
  const out: CloudFrontHeaders = { ...headers };
  const { security, cors } = policy;
  set(out, 'X-Content-Type-Options', 'nosniff', security.contentTypeOptions.override);
  const hsts = security.strictTransportSecurity;
  set(out, 'Strict-Transport-Security', `max-age=${hsts.maxAgeSeconds}${hsts.includeSubdomains ? '; includeSubDomains' : ''}`, hsts.override);
  set(out, 'Referrer-Policy', security.referrerPolicy.value, security.referrerPolicy.override);
  set(out, 'X-Frame-Options', security.frameOptions.value, security.frameOptions.override);
  for (const custom of policy.custom) set(out, custom.header, custom.value, custom.override);
  const origin = request.origin;
  const allowed = origin !== undefined && (cors.allowOrigins.includes('*') || cors.allowOrigins.includes(origin));
  if (allowed) {
    set(out, 'Access-Control-Allow-Origin', cors.allowOrigins.includes('*') && !cors.allowCredentials ? '*' : origin, cors.originOverride);
    if (cors.allowCredentials) set(out, 'Access-Control-Allow-Credentials', 'true', cors.originOverride);
    if (request.method === 'OPTIONS') {
      set(out, 'Access-Control-Allow-Methods', cors.allowMethods.join(', '), cors.originOverride);
      set(out, 'Access-Control-Allow-Headers', cors.allowHeaders.join(', '), cors.originOverride);
      set(out, 'Access-Control-Max-Age', String(cors.maxAgeSeconds), cors.originOverride);
    } else if (cors.exposeHeaders.length > 0) {
      set(out, 'Access-Control-Expose-Headers', cors.exposeHeaders.join(', '), cors.originOverride);
    }
  }
  return out;
}
