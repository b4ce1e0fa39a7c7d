import { describe, expect, it } from 'vitest';
import type { EdgeError } from './errors.ts';
import { mintUploadToken, verifyUploadToken } from './upload-token.ts';

const KEY = 'stage-key-for-tests';
const NOW = 1_800_000_000;
const rules = { stage: 'production', allowedPrefixes: ['uploads/'], maxTokenSeconds: 600 };
const claims = { stage: 'production', prefix: 'uploads/user-42/', exp: NOW + 300, nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA' };

function refusal(token: string | undefined, key = KEY): [number, string] {
  try {
    verifyUploadToken(token, key, rules, NOW);
  } catch (error) {
    return [(error as EdgeError).status, (error as EdgeError).publicMessage];
  }
  throw new Error('Expected a refusal but the token was accepted');
}

describe('upload tokens', () => {
  it('accepts a genuine current token for this stage and returns its claims', () => {
    expect(verifyUploadToken(mintUploadToken(claims, KEY), KEY, rules, NOW)).toEqual(claims);
  });

  it('refuses with 401 what is not a token of this key, and with 403 a genuine one that may not be used', () => {
    const token = mintUploadToken(claims, KEY);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...claims, prefix: 'uploads/' }), 'utf8').toString('base64url');
    expect(refusal(undefined)[0]).toBe(401);
    expect(refusal(`${version}.${payload}`)[0]).toBe(401);
    expect(refusal(`v2.${payload}.${mac}`)[0]).toBe(401);
    expect(refusal(token, 'another key')).toEqual([401, "Expected an upload token signed with this stage's key but received a wrong signature"]);
    expect(refusal(`${version}.${other}.${mac}`)[0]).toBe(401);
    expect(refusal(mintUploadToken({ ...claims, exp: NOW }, KEY))[1]).toMatch(
      /^Expected an upload token that has not expired but received one that expired at 2027-/,
    );
    expect(refusal(mintUploadToken({ ...claims, exp: NOW + 601 }, KEY))).toEqual([
      403,
      'Expected an upload token that expires within 600 s but received one valid for 601 s',
    ]);
    expect(refusal(mintUploadToken({ ...claims, stage: 'staging' }, KEY))).toEqual([
      403,
      'Expected an upload token for stage "production" but received one for "staging"',
    ]);
    expect(refusal(mintUploadToken({ ...claims, nonce: 'short' }, KEY))[0]).toBe(403);
    for (const prefix of ['_derived/', 'photos/', 'uploads', 'uploads/../photos/', 'uploads//', '/uploads/']) {
      expect(refusal(mintUploadToken({ ...claims, prefix }, KEY))[0], prefix).toBe(403);
    }
  });
});
