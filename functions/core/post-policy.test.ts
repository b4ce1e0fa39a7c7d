import { describe, expect, it } from 'vitest';
import { postPolicySignature, signUploadPolicy } from './post-policy.ts';

// AWS's worked example: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html
// (its example credentials, its base64 policy of 2015-12-29, and the signature the page prints).
const AWS_EXAMPLE_POLICY =
  'eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9';

describe('the S3 POST policy signature', () => {
  it("matches AWS's worked example", () => {
    expect(postPolicySignature(AWS_EXAMPLE_POLICY, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20151229', 'us-east-1')).toBe(
      '8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e',
    );
  });

  it('signs a grant: prefix, one Content-Type, 1 byte to the limit, minutes, and the session token of temporary credentials', () => {
    const now = Date.UTC(2026, 11, 7, 12, 34, 56);
    const { policy, fields } = signUploadPolicy({
      bucket: 'originals',
      region: 'eu-west-1',
      prefix: 'uploads/u1/',
      contentType: 'image/png',
      maxBytes: 1000,
      now,
      expiresAt: now + 300_000,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' },
    });
    expect(policy).toEqual({
      expiration: '2026-12-07T12:39:56.000Z',
      conditions: [
        { bucket: 'originals' },
        ['starts-with', '$key', 'uploads/u1/'],
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, 1000],
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': 'AKIDEXAMPLE/20261207/eu-west-1/s3/aws4_request' },
        { 'x-amz-date': '20261207T123456Z' },
        { 'x-amz-security-token': 'session' },
      ],
    });
    expect(JSON.parse(Buffer.from(fields['policy']!, 'base64').toString('utf8'))).toEqual(policy);
    expect(fields['x-amz-signature']).toBe(postPolicySignature(fields['policy']!, 'secret', '20261207', 'eu-west-1'));
    expect(Object.keys(fields)).toEqual([
      'key',
      'Content-Type',
      'x-amz-algorithm',
      'x-amz-credential',
      'x-amz-date',
      'x-amz-security-token',
      'policy',
      'x-amz-signature',
    ]);
  });
});
