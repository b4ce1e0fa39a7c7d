import { describe, expect, it } from 'vitest';
import { distribution } from '../../distribution.ts';
import { matchBehavior, normalizePath, parseTarget } from './path.ts';

describe('the request target', () => {
  it('[path.targets] accepts origin-form only: *, absolute-form and authority-form are refused', () => {
    expect(parseTarget('/a/b.jpg?w=1')).toEqual({ kind: 'origin-form', path: '/a/b.jpg', querystring: 'w=1' });
    expect(parseTarget('/')).toEqual({ kind: 'origin-form', path: '/', querystring: '' });
    for (const target of ['*', 'http://cdn.example.com/a.jpg', 'cdn.example.com:443', '']) expect(parseTarget(target).kind).toBe('refused');
  });
});

describe('path normalization before behavior matching', () => {
  it('[path.normalize] decodes unreserved escapes, collapses slashes and removes dot segments', () => {
    expect(normalizePath('/%70rivate/a.jpg')).toBe('/private/a.jpg');
    expect(normalizePath('/photos//cat.jpg')).toBe('/photos/cat.jpg');
    expect(normalizePath('/photos/../private/a.jpg')).toBe('/private/a.jpg');
    expect(normalizePath('/photos/%2e%2e/private/a.jpg')).toBe('/private/a.jpg');
    expect(normalizePath('/./a/./b')).toBe('/a/b');
    expect(normalizePath('/../../a')).toBe('/a');
    expect(normalizePath('/a/b/..')).toBe('/a/');
    expect(normalizePath('/a%2fb%3a')).toBe('/a%2Fb%3A');
    expect(normalizePath('/caf%C3%A9.jpg')).toBe('/caf%C3%A9.jpg');
  });

  it('[path.normalize] matches the signed behaviors whatever the spelling of the path', () => {
    const behaviors = distribution.behaviors;
    for (const path of ['/private/a.jpg', '/%70rivate/a.jpg', '//private/a.jpg', '/photos/../private/a.jpg', '/x/%2E%2E/private/a.jpg']) {
      expect(matchBehavior(behaviors, path).pathPattern, path).toBe('/private/*');
    }
    expect(matchBehavior(behaviors, '/_derived/./private/a.jpg/128x128-cover-q75.webp').pathPattern).toBe('/_derived/private/*');
    expect(matchBehavior(behaviors, '/Private/a.jpg').pathPattern).toBe('*');
  });

  it('[path.patterns] applies * (any run) and ? (one character), case-sensitive, first match wins, default last', () => {
    const behaviors = [
      { pathPattern: 'images/*.jpg' },
      { pathPattern: '/images/*' },
      { pathPattern: '*.gif' },
      { pathPattern: 'a??.png' },
      { pathPattern: '*' },
    ];
    expect(matchBehavior(behaviors, '/images/sample.gif').pathPattern).toBe('/images/*');
    expect(matchBehavior(behaviors, '/images/x/y.jpg').pathPattern).toBe('images/*.jpg');
    expect(matchBehavior(behaviors, '/LOGO.GIF').pathPattern).toBe('*');
    expect(matchBehavior(behaviors, '/ant.png').pathPattern).toBe('a??.png');
    expect(matchBehavior(behaviors, '/an.png').pathPattern).toBe('*');
  });
});
