import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery, queryReader } from './query.ts';

// ASCII, as a query string arrives from CloudFront (non-ASCII is percent-encoded). Node's
// URLSearchParams departs from the WHATWG parser when raw non-ASCII meets an invalid escape
// ('é%aa' gives '\uFFFD' where the standard gives 'é\uFFFD'): that case is checked by hand below.
const piece = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'w', '=', '&', '+', '%', '2', 'B', 'f', 'F', 'e', '9', 'C', '3', 'A', ' ') }), fc.string());

/** Whether every escape of `query` is valid UTF-8 (`=` is never part of one, so the parts can be checked apart). */
function decodable(query: string): boolean {
  return query.split(/[&=]/).every((part) => {
    try {
      decodeURIComponent(part);
      return true;
    } catch {
      return false;
    }
  });
}

describe('parseQuery', () => {
  it('parses every query whose escapes are UTF-8 as URLSearchParams does (names, values, order, repeats), and refuses the others', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')),
        (query) => {
          if (decodable(query)) expect(parseQuery(query)).toEqual([...new URLSearchParams(query)]);
          else expect(() => parseQuery(query)).toThrow(/^Expected valid percent-encoded UTF-8 for the query but received /);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('decodes percent-encoded UTF-8, and refuses a stray % or bytes that are not UTF-8 with a 400 naming the piece', () => {
    expect(parseQuery('%EF%BB%BFw=1&w=%31%32%38&y=%C3%A9&a+b=c+d&&=e')).toEqual([
      ['\uFEFFw', '1'],
      ['w', '128'],
      ['y', 'é'],
      ['a b', 'c d'],
      ['', 'e'],
    ]);
    for (const [query, piece] of [
      ['x=%zz', '%zz'],
      ['z=%FF', '%FF'],
      ['é%aa=1', 'é%aa'],
      ['w=100%', '100%'],
    ]) {
      expect(() => parseQuery(query as string)).toThrow(
        expect.objectContaining({ status: 400, message: `Expected valid percent-encoded UTF-8 for the query but received ${JSON.stringify(piece)}` }),
      );
    }
  });
});

describe('parseQuery with the names a caller reads', () => {
  const names = queryReader(['w', 'h', 'fit']);

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
    expect(parseQuery('w=1&'.repeat(1000), names)).toHaveLength(names.names.length + 1);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('w=1', 'h=%32', 'fit=cover', '%77=3', 'x=1', '', 'a'), piece), { maxLength: 6 }).map((parts) => parts.join('&')),
        (query) => {
          const all = [...new URLSearchParams(query)];
          let some: [string, string][];
          try {
            some = parseQuery(query, names);
          } catch (error) {
            // Refused only for an escape that is not UTF-8, in a piece it read.
            expect(decodable(query)).toBe(false);
            expect((error as Error).message).toMatch(/^Expected valid percent-encoded UTF-8 for the query but received /);
            return;
          }
          if (!all.some(([name]) => names.names.includes(name))) expect(some).toEqual([]);
          else {
            expect(all.slice(0, some.length)).toEqual(some);
            const stop = all.findIndex(([name], i) => !names.names.includes(name) || i >= names.names.length);
            expect(some).toHaveLength(stop === -1 ? all.length : stop + 1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
