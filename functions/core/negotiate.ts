/**
 * `fm=auto`: choose the best format the viewer declares it can decode. Only an explicit media type
 * counts: every browser sends `image/*` or `*\/*`, including those that cannot decode AVIF or WebP.
 */
import type { OutputFormat } from './policy.ts';
import { CONTENT_TYPES } from './policy.ts';

/** Media types the Accept header lists with a non-zero quality, lowercased. */
export function acceptedTypes(accept: string | undefined): Set<string> {
  const accepted = new Set<string>();
  if (!accept) return accepted;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';');
    const mediaType = type?.trim().toLowerCase();
    if (!mediaType) continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    accepted.add(mediaType);
  }
  return accepted;
}

/** The first of `preferred` the viewer accepts, else `fallback`. */
export function negotiateFormat(
  accept: string | undefined,
  preferred: readonly OutputFormat[],
  fallback: OutputFormat,
): OutputFormat {
  const accepted = acceptedTypes(accept);
  return preferred.find((format) => accepted.has(CONTENT_TYPES[format])) ?? fallback;
}

/** The format an original is served in when nothing better is negotiated: its own, if we can write it. */
export function formatOfKey(key: string): OutputFormat {
  const extension = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  switch (extension) {
    case 'png':
    case 'gif':
    case 'svg':
      return 'png';
    case 'webp':
      return 'webp';
    case 'avif':
      return 'avif';
    default:
      return 'jpg';
  }
}
