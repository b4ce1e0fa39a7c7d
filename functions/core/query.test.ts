import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from './query.ts';

// ASCII, as a query string arrives from CloudFront (non-ASCII is percent-encoded). Node's
// URLSearchParams departs from the WHATWG parser when raw non-ASCII meets an invalid escape
// ('é%aa' gives '\uFFFD' where the standard gives 'é\uFFFD'): that case is checked by hand below.
const piece = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'w', '=', '&', '+', '%', '2', 'B', 'f', 'F', 'e', '9', 'C', '3', 'A', ' ') }), fc.string());

describe('parseQuery', () => {
  it('parses every query as URLSearchParams does (names, values, order, repeats)', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')),
        (query) => {
          expect(parseQuery(query)).toEqual([...new URLSearchParams(query)]);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('decodes percent-encoded UTF-8, keeps a stray %, replaces invalid bytes with U+FFFD', () => {
    expect(parseQuery('%EF%BB%BFw=1&é%aa=1')).toEqual([
      ['\uFEFFw', '1'],
      ['é\uFFFD', '1'],
    ]);
    expect(parseQuery('w=%31%32%38&x=%zz&y=%C3%A9&z=%FF&a+b=c+d&&=e')).toEqual([
      ['w', '128'],
      ['x', '%zz'],
      ['y', 'é'],
      ['z', '\uFFFD'],
      ['a b', 'c d'],
      ['', 'e'],
    ]);
  });
});
