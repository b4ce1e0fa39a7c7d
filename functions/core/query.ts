/**
 * Query strings read as WHATWG's application/x-www-form-urlencoded parser reads them (what Node's
 * URLSearchParams does): `&`-separated, empty pieces skipped, split at the first `=`, `+` is a space,
 * `%XX` decoded as UTF-8. Where that parser would keep a stray `%` or put U+FFFD for invalid UTF-8,
 * this one refuses the query with a 400: no image parameter is spelled that way, and a query that
 * names one is refused whatever else it holds. Written out because CloudFront Functions' runtime has
 * no URLSearchParams (nor Map or for-of); decodeURIComponent is on its documented list
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
 * query.test.ts checks it against URLSearchParams on generated input.
 */
import { badParam } from './errors.ts';
import { VALID_ESCAPES } from './keys.ts';

/** The parameter name of query errors. */
export const QUERY = 'the query';

/** The name/value pairs in order, repeats included. */
export type QueryPairs = [name: string, value: string][];

/** The names a caller reads, and one scan that finds any of them however it is escaped. */
export interface QueryReader {
  readonly names: readonly string[];
  readonly scan: RegExp;
}

/** One name or value: `+` to space, then the escapes; an escape that is not UTF-8 is a 400. */
function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.split('+').join(' '));
  } catch (_invalid) {
    throw badParam(QUERY, VALID_ESCAPES, text);
  }
}

/** A letter of a name as a pattern: itself, or its escape `%6X` / `%7X` in either hex case. */
function letter(c: string): string {
  const code = c.charCodeAt(0);
  const low = '0123456789abcdef'.charAt(code & 15);
  return `(?:${c}|%${code >> 4}[${low}${low.toUpperCase()}])`;
}

/** A reader of `names` (lowercase ASCII letters), built once by the caller. */
export function queryReader(names: readonly string[]): QueryReader {
  return { names: names, scan: new RegExp(`(?:^|&)(?:${names.map((name) => name.replace(/[a-z]/g, letter)).join('|')})(?:[=&]|$)`) };
}

/**
 * As `new URLSearchParams(querystring)`, which also drops one leading `?` (`/a.jpg??w=1` reads w=1).
 *
 * With a `reader`, only what decides the caller's answer is decoded: no pair when no piece is named
 * one of its names (one scan of the text), else the pairs in order up to and including the first
 * whose name is not among them, and at most `names.length + 1` pairs (one name must then repeat). A
 * caller that refuses unknown or repeated names, as the URL grammar does, reaches the same first
 * error; a long query costs one scan, not one decode per piece.
 */
export function parseQuery(querystring: string, reader?: QueryReader): QueryPairs {
  const text = querystring.charAt(0) === '?' ? querystring.slice(1) : querystring;
  if (reader && !reader.scan.test(text)) return [];
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
    if (reader && (!reader.names.includes(name) || pairs.length > reader.names.length)) break;
  }
  return pairs;
}
