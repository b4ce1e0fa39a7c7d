/**
 * `fm=auto`: choose the best format the viewer declares it can decode. Only an explicit media type
 * counts: every browser sends `image/*` or `*\/*`, including those that cannot decode AVIF or WebP.
 *
 * Animated sources: the viewer-request cannot know whether an original is animated (it never reads
 * it), so the rule goes by the key's extension. Keys whose format can carry animation (`.gif`,
 * `.webp`) negotiate only among formats we can write animated (WebP), and fall back to GIF for a
 * `.gif` key: an animated GIF stays animated for every viewer, at the price of never getting AVIF for
 * a still GIF or WebP. Every other key negotiates AVIF > WebP; an animated source reached some other
 * way (an animated AVIF or PNG, an explicit `fm=avif`) is written as its first frame.
 */
import type { ImagePolicy, OutputFormat } from './policy.ts';
import { ANIMATED_FORMATS } from './policy.ts';

/**
 * Whether the Accept header (lowercased) lists `mime` with a q above 0. Only the entries where `mime`
 * occurs are parsed, so a long header costs a scan.
 */
function accepts(accept: string, mime: string): boolean {
  for (let at = accept.indexOf(mime); at !== -1; at = accept.indexOf(mime, at + 1)) {
    const end = accept.indexOf(',', at);
    const entry = accept.slice(accept.lastIndexOf(',', at) + 1, end === -1 ? accept.length : end);
    if ((entry.split(';')[0] as string).trim() !== mime) continue;
    // The first parameter named q (whitespace around it ignored, as Number ignores it around the value).
    const q = /;\s*q=([^;]*)/.exec(entry);
    if (!q || Number(q[1]) > 0) return true;
  }
  return false;
}

/**
 * The first of `preferred` the viewer accepts, else `fallback`. The media type of AVIF and WebP is
 * `image/` and the format's name (policy.ts CONTENT_TYPES); spelled here so that the CloudFront
 * Function's 10 KB does not carry the table.
 */
function negotiateFormat(accept: string | undefined, preferred: readonly ('avif' | 'webp')[], fallback: OutputFormat): OutputFormat {
  const lower = accept ? accept.toLowerCase() : '';
  const found = preferred.find((format) => accepts(lower, `image/${format}`));
  return found || fallback;
}

/**
 * `fm=auto` for one key: the rule described at the top of this file, inside the policy's formats. The
 * key's extension decides whether it may be animated (GIF and WebP can be) and what it is served in
 * when nothing better is negotiated: one every viewer decodes. JPEG stays JPEG, GIF stays GIF
 * (animation survives), and everything else that may hold alpha or that an old viewer may not decode
 * (PNG, SVG, WebP, AVIF) becomes PNG. Unknown extensions: JPEG.
 */
export function negotiateAuto(key: string, accept: string | undefined, policy: ImagePolicy): OutputFormat {
  const found = /\.([^./]*)$/.exec(key);
  const extension = found ? (found[1] as string).toLowerCase() : '';
  const preferred = /^(?:gif|webp)$/.test(extension) ? policy.autoFormats.filter((f) => ANIMATED_FORMATS.includes(f)) : policy.autoFormats;
  const own = extension === 'gif' ? 'gif' : /^(?:a?png|svg|webp|avif)$/.test(extension) ? 'png' : 'jpg';
  const fallback = policy.formats.includes(own) ? own : policy.formats.includes('png') ? 'png' : policy.formats[0] || 'jpg';
  return negotiateFormat(accept, preferred, fallback);
}
