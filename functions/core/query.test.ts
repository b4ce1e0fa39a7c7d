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

describe('parseQuery with the names a caller reads', () => {
  const names = ['w', 'h', 'fit'];

  it('answers no pair when no piece is named one of them, however the names are spelled', () => {
    expect(parseQuery('a&x=1&W=2&w2=3&ww=1&%57=1&w+=1', names)).toEqual([]);
    expect(parseQuery('a&b=%77', names)).toEqual([]);
  });

  it('finds a name written with escapes, in either hex case', () => {
    expect(parseQuery('%77=1', names)).toEqual([['w', '1']]);
    expect(parseQuery('f%69%74=cover&%66i%74=x', names)).toEqual([
      ['fit', 'cover'],
      ['fit', 'x'],
    ]);
    expect(parseQuery('%6A=1&h', names)).toEqual([['j', '1']]);
  });

  it('stops after the first unknown name, or once a name must repeat, and otherwise agrees with URLSearchParams', () => {
    expect(parseQuery(`a=1&${'b&'.repeat(1000)}w=1`, names)).toEqual([['a', '1']]);
    expect(parseQuery(`w=1&h=2&x=3&${'c&'.repeat(1000)}`, names)).toEqual([
      ['w', '1'],
      ['h', '2'],
      ['x', '3'],
    ]);
    expect(parseQuery('w=1&'.repeat(1000), names)).toHaveLength(names.length + 1);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('w=1', 'h=%32', 'fit=cover', '%77=3', 'x=1', '', 'a'), piece), { maxLength: 6 }).map((parts) => parts.join('&')),
        (query) => {
          const all = [...new URLSearchParams(query)];
          const some = parseQuery(query, names);
          if (!all.some(([name]) => names.includes(name))) expect(some).toEqual([]);
          else {
            expect(all.slice(0, some.length)).toEqual(some);
            const stop = all.findIndex(([name], i) => !names.includes(name) || i >= names.length);
            expect(some).toHaveLength(stop === -1 ? all.length : stop + 1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
