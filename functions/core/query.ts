/**
 * Query strings parsed exactly as WHATWG's application/x-www-form-urlencoded parser (what Node's
 * URLSearchParams does): `&`-separated, empty pieces skipped, split at the first `=`, `+` is a space,
 * `%XX` decoded as UTF-8 bytes, a `%` not followed by two hex digits kept as it is, invalid UTF-8
 * replaced by U+FFFD. Written out because CloudFront Functions' runtime has no URLSearchParams (nor
 * Map or for-of); decodeURIComponent, parseInt and TextDecoder are on its documented list
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
 * query.test.ts checks it against URLSearchParams on generated input.
 */

/** The name/value pairs in order, repeats included. */
export type QueryPairs = [name: string, value: string][];

const DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
/** A run of `%XX` escapes: decoded together, since one UTF-8 character may take several. */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

/** A run of escapes as UTF-8: decodeURIComponent when the bytes are valid UTF-8, else byte by byte with U+FFFD. */
function decodeEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch (_invalid) {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return DECODER.decode(bytes);
  }
}

/**
 * One name or value: `+` to space, then the escapes. Text without `+` or `%` (nearly every piece)
 * costs one scan; only the escape runs are decoded, so a long query costs in proportion to its length.
 */
function decodeFormComponent(text: string): string {
  const spaced = text.indexOf('+') === -1 ? text : text.split('+').join(' ');
  return spaced.indexOf('%') === -1 ? spaced : spaced.replace(ESCAPES, decodeEscapes);
}

/** As `new URLSearchParams(querystring)`, which also drops one leading `?` (`/a.jpg??w=1` reads w=1). */
export function parseQuery(querystring: string): QueryPairs {
  const pairs: QueryPairs = [];
  const pieces = (querystring.charAt(0) === '?' ? querystring.slice(1) : querystring).split('&');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq === -1 ? piece : piece.slice(0, eq);
    const value = eq === -1 ? '' : piece.slice(eq + 1);
    pairs.push([decodeFormComponent(name), decodeFormComponent(value)]);
  }
  return pairs;
}
