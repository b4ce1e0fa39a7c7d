import { describe, expect, it } from 'vitest';
import {
  cannedPolicy,
  cidrContains,
  decodeCloudFrontBase64,
  encodeCloudFrontBase64,
  matchResource,
  parseCidr,
  parseIp,
  parsePolicy,
  wildcardMatch,
} from './signed-url-policy.ts';

describe('CloudFront base64', () => {
  it('round-trips bytes of every length with -, _ and ~', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 97 + 251) & 0xff));
      const text = encodeCloudFrontBase64(bytes);
      expect(text).not.toMatch(/[+=/]/);
      if (length > 0) expect(decodeCloudFrontBase64(text)).toEqual(bytes);
    }
    expect(encodeCloudFrontBase64(Buffer.from([0xfb, 0xff, 0xbf]))).toBe('-~-~');
    expect(encodeCloudFrontBase64(Buffer.from([1]))).toBe('AQ__');
  });

  it('accepts the unpadded spelling too', () => {
    expect(decodeCloudFrontBase64('AQ')).toEqual(Buffer.from([1]));
  });

  it.each([
    ['a standard-alphabet character', 'ab+c'],
    ['standard padding', 'AQ=='],
    ['a stray character', 'AQ!_'],
    ['padding in the middle', 'A_Q_'],
    ['too much padding', 'AQ___'],
    ['padding that does not fit the length', 'AQI__'],
    ['padding on a short text', 'AQ_'],
    ['non-zero unused bits', 'AR__'],
    ['non-zero unused bits after three characters', 'AQJ_'],
    ['non-zero unused bits, unpadded', 'AQJ'],
    ['an impossible length', 'AQIDB'],
    ['nothing', ''],
  ])('refuses %s', (_, text) => {
    expect(decodeCloudFrontBase64(text)).toBeUndefined();
  });
});

describe('cannedPolicy', () => {
  it('is byte for byte what the SDK signs', () => {
    const url = 'https://cdn.example.com/private/a%20b.jpg?w=128&h=128';
    const sdk = JSON.stringify({ Statement: [{ Resource: url, Condition: { DateLessThan: { 'AWS:EpochTime': 1767225600 } } }] });
    expect(cannedPolicy(url, 1767225600)).toBe(sdk);
    expect(cannedPolicy('https://h/"\\', '1')).toBe(
      JSON.stringify({ Statement: [{ Resource: 'https://h/"\\', Condition: { DateLessThan: { 'AWS:EpochTime': 1 } } }] }),
    );
  });
});

describe('parsePolicy', () => {
  const policy = (statement: unknown) => JSON.stringify({ Statement: [statement] });

  it('reads Resource, both dates and an IP range, with CloudFront whitespace', () => {
    const text =
      '{ \r\n "Statement": [{ "Resource":"https://h/*",\r\n "Condition":{ "IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}, "DateGreaterThan":{"AWS:EpochTime":10}, "DateLessThan":{"AWS:EpochTime":20} } }] }';
    const parsed = parsePolicy(text);
    expect(parsed.ok && parsed.value).toMatchObject({ resource: 'https://h/*', dateLessThan: 20, dateGreaterThan: 10, sourceIp: { family: 4, prefix: 24 } });
  });

  it('leaves an absent Resource undefined (every object)', () => {
    const parsed = parsePolicy(policy({ Condition: { DateLessThan: { 'AWS:EpochTime': 5 } } }));
    expect(parsed).toEqual({ ok: true, value: { resource: undefined, dateLessThan: 5, dateGreaterThan: undefined, sourceIp: undefined } });
  });

  it.each([
    ['not JSON', '{"Statement":'],
    ['no statement', '{"Statement":[]}'],
    [
      'two statements',
      JSON.stringify({ Statement: [{ Condition: { DateLessThan: { 'AWS:EpochTime': 1 } } }, { Condition: { DateLessThan: { 'AWS:EpochTime': 1 } } }] }),
    ],
    ['no DateLessThan', policy({ Resource: 'https://h/a', Condition: {} })],
    ['a fractional time', policy({ Condition: { DateLessThan: { 'AWS:EpochTime': 1.5 } } })],
    ['a string time', policy({ Condition: { DateLessThan: { 'AWS:EpochTime': '5' } } })],
    ['an unknown condition', policy({ Condition: { DateLessThan: { 'AWS:EpochTime': 5 }, StringLike: {} } })],
    ['an unknown statement field', policy({ Effect: 'Allow', Condition: { DateLessThan: { 'AWS:EpochTime': 5 } } })],
    ['a bad CIDR', policy({ Condition: { DateLessThan: { 'AWS:EpochTime': 5 }, IpAddress: { 'AWS:SourceIp': '300.0.0.1/8' } } })],
    ['a non-string Resource', policy({ Resource: 5, Condition: { DateLessThan: { 'AWS:EpochTime': 5 } } })],
  ])('refuses %s', (_, text) => {
    expect(parsePolicy(text).ok).toBe(false);
  });
});

describe('wildcardMatch', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything/at?all', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['*.jpg', 'x/y.jpg', true],
    ['*.jpg', 'x/y.jpeg', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['abc', 'ABC', false],
    ['**', 'x', true],
  ])('%s vs %s is %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });
});

describe('matchResource', () => {
  const url = 'https://cdn.example.com/private/albums/a.jpg?w=128&h=128';
  it.each([
    ['https://cdn.example.com/private/*', true],
    ['https://cdn.example.com/private/albums/a.jpg?w=128&h=128', true],
    ['https://cdn.example.com/private/albums/a.jpg', false],
    ['https://cdn.example.com/private/albums/a.jpg*', true],
    ['https://cdn.example.com/*a.jpg*', true],
    ['*://cdn.example.com/private/*', true],
    ['http://cdn.example.com/private/*', false],
    ['https://*.example.com/private/*', true],
    ['https://*/private/*', true],
    ['https://cdn.example.com/Private/*', false],
    ['https://cdn.example.com/privat?/*', true],
    ['https://cdn.example.com/private?*', true],
    ['https://cdn.example.com/pub/*', false],
    ['https://cdn.example.org/private/*', false],
    ['https://cdn*', true],
    ['*', true],
  ])('%s covers the URL: %s', (pattern, expected) => {
    expect(matchResource(pattern, url)).toBe(expected);
  });

  it('matches `*` against the whole URL, as CloudFront: a host wildcard may run into the path', () => {
    expect(matchResource('https://cdn*/public/*', 'https://cdn.example.com/private/public/a.jpg')).toBe(true);
    expect(matchResource('https://*example.com/x', 'https://evil.com/example.com/x')).toBe(true);
    expect(matchResource('https://cdn.example.com/*private/*', 'https://cdn.example.com/_derived/private/a.jpg/x.webp')).toBe(true);
    expect(matchResource('https://cdn.example.com/a?c', 'https://cdn.example.com/abc')).toBe(true);
    expect(matchResource('https://cdn.example.com/a?c', 'https://cdn.example.com/ac')).toBe(false);
  });
});

describe('IP ranges', () => {
  const inRange = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);

  it('matches IPv4 ranges at their boundaries', () => {
    expect(inRange('192.0.2.0/24', '192.0.2.0')).toBe(true);
    expect(inRange('192.0.2.0/24', '192.0.2.255')).toBe(true);
    expect(inRange('192.0.2.0/24', '192.0.3.0')).toBe(false);
    expect(inRange('192.0.2.128/25', '192.0.2.127')).toBe(false);
    expect(inRange('192.0.2.128/25', '192.0.2.128')).toBe(true);
    expect(inRange('203.0.113.7', '203.0.113.7')).toBe(true);
    expect(inRange('203.0.113.7/32', '203.0.113.8')).toBe(false);
    expect(inRange('0.0.0.0/0', '8.8.8.8')).toBe(true);
  });

  it('matches IPv6 ranges, compressed or not, with an IPv4 tail', () => {
    expect(inRange('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(inRange('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(inRange('2001:db8:0:0:0:0:0:0/127', '2001:db8::1')).toBe(true);
    expect(inRange('2001:db8::/127', '2001:db8::2')).toBe(false);
    expect(inRange('64:ff9b::/96', '64:ff9b::192.0.2.1')).toBe(true);
    expect(inRange('::/0', '::1')).toBe(true);
  });

  it('never matches across families, and counts an IPv4-mapped viewer as IPv4', () => {
    expect(inRange('::/0', '192.0.2.1')).toBe(false);
    expect(inRange('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(inRange('192.0.2.0/24', '::ffff:192.0.2.9')).toBe(true);
  });

  it.each([
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.4/33',
    '1.2.3.4/',
    '1.2.3.4/024',
    '::1/129',
    '1::2::3',
    '12345::',
    'fe80::1%eth0',
    'g::1',
    '1.2.3.4::',
    ':1:2:3:4:5:6:7',
  ])('refuses %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
