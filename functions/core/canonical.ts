/**
 * The rewrite every viewer-request function that serves images runs (image-request on public paths,
 * signed-url after its signature check): any spelling of an image URL becomes its one canonical URI,
 * so the cache key is canonical without forwarding Accept. Neutral: the request's fields in, the
 * rewritten ones out; each handler applies them to its event.
 */
import { EdgeError, badParam, quote } from './errors.ts';
import { derivedUri, parseImageUrl } from './grammar.ts';
import { decodeKey, encodeKey } from './keys.ts';
import type { ImagePolicy } from './policy.ts';

export interface ViewerRequest {
  readonly method: string;
  readonly uri: string;
  /** Without the leading `?`. */
  readonly querystring: string;
  readonly accept: string | undefined;
}

export type CanonicalOutcome = 'preflight' | 'original' | 'derived' | 'derived-negotiated';

export interface Canonical {
  readonly uri: string;
  readonly querystring: string;
  readonly outcome: CanonicalOutcome;
}

/**
 * The canonical form of one request. Keys under one of `protectedPrefixes` are refused (403): the
 * public function passes them, the signed one does not. Throws EdgeError (400 bad parameters).
 */
export function canonicalize(request: ViewerRequest, policy: ImagePolicy, protectedPrefixes: readonly string[] = []): Canonical {
  if (request.method === 'OPTIONS') {
    // A preflight carries no image, but its path still goes to the origin: no traversal, no control
    // characters, nothing that is not a key (the query may be anything: it is not looked at).
    if (!request.uri.startsWith('/')) throw badParam('the path', 'a path starting with "/"', request.uri);
    decodeKey(request.uri.slice(1));
    return { uri: request.uri, querystring: request.querystring, outcome: 'preflight' };
  }
  const parsed = parseImageUrl(request.uri, request.querystring, request.accept, policy);
  const prefix = protectedPrefixes.find((p) => parsed.key.startsWith(p));
  if (prefix !== undefined) {
    throw new EdgeError(
      'Forbidden',
      `Expected a signed URL for the private image ${quote(parsed.key)}: ask for /${prefix}... with its signature (sizes as ?w=&h=)`,
      {
        detail: `protected prefix ${prefix}`,
      },
    );
  }
  if (parsed.kind === 'original') {
    // One spelling per original too (`a+b.jpg` and `a%2Bb.jpg` are one key): one cache entry, and
    // one path for derived-cleanup to invalidate when the original changes.
    return { uri: `/${encodeKey(parsed.key)}`, querystring: request.querystring, outcome: 'original' };
  }
  return { uri: derivedUri(parsed.key, parsed.variant), querystring: '', outcome: parsed.negotiated ? 'derived-negotiated' : 'derived' };
}
