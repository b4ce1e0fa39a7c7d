/**
 * The rewrite every viewer-request function that serves images runs (image-request on public paths,
 * signed-url after its signature check): any spelling of an image URL becomes its one canonical URI,
 * so the cache key is canonical without forwarding Accept. Neutral: the request's fields in, the
 * rewritten ones out; each handler applies them to its event.
 *
 * This file and everything it imports are also compiled to CloudFront Functions' `cloudfront-js-2.0`
 * runtime (functions/image-request/cloudfront-function.ts), whose JavaScript is a documented subset
 * (infra/build/cloudfront-runtime.ts): no classes, destructuring, spread, for-of, default arguments or
 * shorthand properties, no Map or Set, no URLSearchParams. The build refuses the syntax, the local
 * sandbox the rest.
 */
import { EdgeError, quote } from './errors.ts';
import { derivedUri, parseImageUrl } from './grammar.ts';
import type { ParsedUrl } from './grammar.ts';
import { DERIVED_PREFIX, decodeKey, encodeKey } from './keys.ts';
import type { ImagePolicy } from './policy.ts';

/**
 * The fields are named `query` and `acceptHeader` (not the events' `querystring` and `accept`) so
 * that the CloudFront Function build may shorten them: 10 KB counts every name (infra/build/cloudfront-function.ts).
 */
export interface ViewerRequest {
  readonly method: string;
  readonly uri: string;
  /** The query string, without the leading `?`. */
  readonly query: string;
  /** The first Accept header's value. */
  readonly acceptHeader: string | undefined;
}

export type CanonicalOutcome = 'preflight' | 'original' | 'derived' | 'derived-negotiated';

export interface Canonical {
  readonly uri: string;
  /** The query string that goes on: the viewer's as it came, or '' (a derived image's URI is canonical). */
  readonly query: string;
  /** What the URL asks for; absent for a preflight. */
  readonly parsed?: ParsedUrl;
}

/** The log line's word for a rewrite (canonicalOutcome is not in the CloudFront Function, which logs refusals only). */
export function canonicalOutcome(canonical: Canonical): CanonicalOutcome {
  const parsed = canonical.parsed;
  if (parsed === undefined) return 'preflight';
  return parsed.kind === 'original' ? 'original' : parsed.negotiated ? 'derived-negotiated' : 'derived';
}

/**
 * The canonical form of one request. Keys under one of `protectedPrefixes` are refused (403) for every
 * method, a preflight included, as originals and as `_derived/` keys: the public function passes
 * them, the signed one does not. The check reads the key as S3 will (decoded once: `%2F` is `/`,
 * dot segments are refused before), so no spelling passes it. Throws EdgeError (400 bad parameters).
 */
export function canonicalize(request: ViewerRequest, policy: ImagePolicy, protectedPrefixes?: readonly string[]): Canonical {
  if (request.method === 'OPTIONS') {
    // A preflight carries no image, but its path still goes to the origin: a path, no traversal, no
    // control characters, nothing that is not a key, nothing protected, neither the key itself nor
    // the original a GET of this path would name (`/thumb/private/a.jpg`: path forms, whatever the query).
    let named = '';
    try {
      named = parseImageUrl(request.uri, '', undefined, policy).key;
    } catch (error) {
      // Not an image URL: the key itself is all there is to check, once the path is one (the same 400).
      if (!request.uri.startsWith('/')) throw error;
    }
    refuseProtected(decodeKey(request.uri.slice(1)), protectedPrefixes);
    refuseProtected(named, protectedPrefixes);
    return { uri: request.uri, query: request.query };
  }
  const parsed = parseImageUrl(request.uri, request.query, request.acceptHeader, policy);
  refuseProtected(parsed.key, protectedPrefixes);
  if (parsed.kind === 'original') {
    // One spelling per original too (`a+b.jpg` and `a%2Bb.jpg` are one key): one cache entry, and
    // one path for derived-cleanup to invalidate when the original changes.
    return { uri: `/${encodeKey(parsed.key)}`, query: request.query, parsed: parsed };
  }
  return { uri: derivedUri(parsed.key, parsed.variant), query: '', parsed: parsed };
}

/** A 403 for a key under a protected prefix, as an original or under `_derived/`: only a signed behavior serves it. */
function refuseProtected(key: string, protectedPrefixes: readonly string[] | undefined): void {
  const prefix = (protectedPrefixes || []).find((p) => key.startsWith(p) || key.startsWith(DERIVED_PREFIX + p));
  if (prefix !== undefined) {
    throw new EdgeError('Forbidden', `Expected a signed URL for the private image ${quote(key)}: sign /${prefix}... (sizes as ?w=&h=)`, {
      detail: `protected prefix ${prefix}`,
    });
  }
}
