/** An S3 event notification as S3 sends it to a function: one record, the key URL-encoded with `+` for spaces. */
import type { S3Event } from 'aws-lambda';
import { encodeEventKey } from '../../infra/local/s3.ts';

export function s3Event(bucket: string, key: string, eventName = 'ObjectCreated:Put', eTag = 'd41d8cd98f00b204e9800998ecf8427e'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-01-01T00:00:00.000Z',
        eventName,
        userIdentity: { principalId: 'AWS:AIDATEST' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'derived-cleanup',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeEventKey(key), size: 1024, eTag, sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  };
}
