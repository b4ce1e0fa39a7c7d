/**
 * The viewer-request rewrite, runtime-neutral: the one function both builds of image-request run.
 * The Lambda@Edge handler (functions/image-request/handler.ts) and the CloudFront Function
 * (functions/image-request/cloudfront-function.ts) only map their own event shapes to `ViewerUrl`
 * and back; the grammar, the allowlist and the negotiation all happen here.
 *
 * This file and everything it imports are also compiled to CloudFront Functions' `cloudfront-js-2.0`
 * runtime, whose JavaScript is a documented subset (infra/build/cloudfront-runtime.ts): no classes,
 * destructuring, spread, for-of, default arguments or shorthand properties, no Map or Set, no
 * URLSearchParams. The build refuses any of them, the local sandbox refuses the rest.
 */
import { EdgeError, badParam, quote } from './errors.ts';
import { PATH, derivedUri, parseImageUrl } from './grammar.ts';
import { decodeKey, encodeKey } from './keys.ts';
import type { ImagePolicy } from './policy.ts';

export interface ImageRequestConfig {
  readonly policy: ImagePolicy;
  /**
   * Key prefixes (such as `private/`) that only signed behaviors serve: refused here with a 403, so
   * the public behavior cannot reach a private original or thumbnail by another spelling.
   */
  readonly protectedPrefixes?: readonly string[];
}

/** What the rewrite reads of a viewer request, whatever the runtime. */
export interface ViewerUrl {
  readonly method: string;
  /** The path as the viewer sent it: percent-encoded, starting with `/`. */
  readonly uri: string;
  /** The raw query string, without the leading `?` (empty when there is none). */
  readonly query: string;
  /** The first Accept header's value, when there is one. */
  readonly acceptHeader: string | undefined;
}

/**
 * What the request becomes. `query` undefined: leave the viewer's query string as it is (an
 * original with a cache-buster, a preflight); empty: drop it (a derived image's URI is canonical).
 */
export interface Canonical {
  readonly uri: string;
  readonly query: '' | undefined;
  readonly outcome: 'preflight' | 'original' | 'derived' | 'derived-negotiated';
}

/**
 * The rewrite. Throws an EdgeError (400 bad parameters, 403 a key under a protected prefix) for a
 * request that must be answered here, before the cache or any origin is touched.
 */
export function canonicalize(url: ViewerUrl, policy: ImagePolicy, protectedPrefixes: readonly string[]): Canonical {
  if (url.method === 'OPTIONS') {
    // A preflight carries no image, but its path still goes to the origin: no traversal, no control
    // characters, nothing that is not a key (the query may be anything: it is not looked at).
    if (url.uri.charAt(0) !== '/') throw badParam(PATH, 'a path starting with "/"', url.uri);
    decodeKey(url.uri.slice(1));
    return { uri: url.uri, query: undefined, outcome: 'preflight' };
  }
  const parsed = parseImageUrl(url.uri, url.query, url.acceptHeader, policy);
  const prefix = protectedPrefixes.find((p) => parsed.key.startsWith(p));
  if (prefix !== undefined) {
    throw new EdgeError(
      'Forbidden',
      `Expected a signed URL for the private image ${quote(parsed.key)}: ask for /${prefix}... with its signature (sizes as ?w=&h=)`,
      { detail: `protected prefix ${prefix}` },
    );
  }
  if (parsed.kind === 'original') {
    // One spelling per original too (`a+b.jpg` and `a%2Bb.jpg` are one key): one cache entry, and
    // one path for derived-cleanup to invalidate when the original changes.
    return { uri: `/${encodeKey(parsed.key)}`, query: undefined, outcome: 'original' };
  }
  return {
    uri: derivedUri(parsed.key, parsed.variant),
    query: '',
    outcome: parsed.negotiated ? 'derived-negotiated' : 'derived',
  };
}
