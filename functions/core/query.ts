/**
 * Query strings parsed exactly as WHATWG's application/x-www-form-urlencoded parser (what Node's
 * URLSearchParams does): `&`-separated, empty pieces skipped, split at the first `=`, `+` is a space,
 * `%XX` decoded as UTF-8 bytes, a `%` not followed by two hex digits kept as it is, invalid UTF-8
 * replaced by U+FFFD. Written out because CloudFront Functions' runtime has no URLSearchParams (nor
 * Map or for-of); TextEncoder and TextDecoder are on its documented list
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
 * query.test.ts checks it against URLSearchParams on generated input.
 */

/** The name/value pairs in order, repeats included. */
export type QueryPairs = [name: string, value: string][];

const ENCODER = new TextEncoder();
// "UTF-8 decode without BOM": a leading U+FEFF is part of the value, as in URLSearchParams.
const DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** One name or value: `+` to space, then percent-decoding of the UTF-8 bytes. */
function decodeFormComponent(text: string): string {
  const bytes = ENCODER.encode(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x2b) {
      out[n++] = 0x20;
      continue;
    }
    if (byte === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1] as number);
      const low = hexValue(bytes[i + 2] as number);
      if (high !== -1 && low !== -1) {
        out[n++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[n++] = byte;
  }
  return DECODER.decode(out.subarray(0, n));
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
