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
    return DECODER.decode(Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16)));
  }
}

/** One name or value: `+` to space, then the runs of escapes. */
function decodeFormComponent(text: string): string {
  return text.split('+').join(' ').replace(ESCAPES, decodeEscapes);
}

/** The names the last scan was built for, and the scan. */
let scanned: readonly string[] | undefined;
let scan = /$^/;

/** A letter of a name as a pattern: itself, or its escape `%6X` / `%7X` in either hex case. */
function letter(c: string): string {
  const code = c.charCodeAt(0);
  const low = '0123456789abcdef'.charAt(code & 15);
  return `(?:${c}|%${code >> 4}[${low}${low.toUpperCase()}])`;
}

/**
 * As `new URLSearchParams(querystring)`, which also drops one leading `?` (`/a.jpg??w=1` reads w=1).
 *
 * With `names` (the parameters a caller reads, lowercase ASCII letters), only what decides the caller's answer is
 * decoded: no pair when no piece is named one of them (one scan of the text), else the pairs in order
 * up to and including the first whose name is not among them, and at most `names.length + 1` pairs
 * (one name must then repeat). A caller that refuses unknown or repeated names, as the URL grammar
 * does, reaches the same first error; a long query costs one scan, not one decode per piece.
 */
export function parseQuery(querystring: string, names?: readonly string[]): QueryPairs {
  const text = querystring.charAt(0) === '?' ? querystring.slice(1) : querystring;
  // One scan: is some piece named one of `names` (lowercase ASCII letters), however it is escaped?
  if (names !== undefined) {
    if (scanned !== names) scan = new RegExp(`(?:^|&)(?:${names.map((name) => name.replace(/[a-z]/g, letter)).join('|')})(?:[=&]|$)`);
    scanned = names;
    if (!scan.test(text)) return [];
  }
  const pairs: QueryPairs = [];
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    const piece = text.slice(start, end);
    start = end + 1;
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? piece : piece.slice(0, eq));
    pairs.push([name, decodeFormComponent(eq === -1 ? '' : piece.slice(eq + 1))]);
    if (names !== undefined && (!names.includes(name) || pairs.length > names.length)) break;
  }
  return pairs;
}
