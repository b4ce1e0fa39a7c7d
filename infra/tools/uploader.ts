/**
 * The two ways `npm run upload` puts an original into a stage's bucket, as functions the CLI and the
 * tests share:
 *
 * - through a grant (what a site's browser does): ask upload-grant with a token, then POST the
 *   multipart form to the endpoint the grant names, streamed from disk with the bytes counted. One
 *   POST carries the whole file, so the grant's size limit (images.limits.maxInputBytes) is the only
 *   limit; refusals come back as S3's XML and are turned into one clear sentence each;
 * - with the operator's credentials: PutObject for a small file, multipart upload (parts of
 *   `partBytes`, up to 4 at once) for a big one, with the Transfer Acceleration endpoint when asked.
 *   Every write is conditional (`If-None-Match: *` on PutObject and CompleteMultipartUpload): an
 *   existing original is never replaced unless `replace` is set. A failed multipart upload is
 *   aborted (the bucket's lifecycle also drops incomplete ones after 7 days).
 */
import { open, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { contentTypeOfKey } from '../../functions/core/media-types.ts';
import type { UploadGrant as Grant } from '../../functions/upload-grant/handler.ts';

export type Progress = (sent: number, total: number) => void;

/** S3's XML error as one sentence an operator can act on. */
function explainS3Refusal(status: number, xml: string, context: { key: string; prefix: string; bytes: number }): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? `HTTP ${status}`;
  const message = (/<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? '').replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  if (code === 'EntityTooLarge') {
    const max = /<MaxSizeAllowed>(\d+)<\/MaxSizeAllowed>/.exec(xml)?.[1];
    return `S3 refused the upload: the file is ${context.bytes} bytes, over the grant's limit of ${max ?? '?'} bytes (EntityTooLarge)`;
  }
  if (code === 'EntityTooSmall') return 'S3 refused the upload: the file is empty (EntityTooSmall)';
  if (message.includes('Policy expired'))
    return 'S3 refused the upload: the grant expired before the upload arrived; ask for a new one (AccessDenied: Policy expired)';
  if (message.includes('"$key"'))
    return `S3 refused the upload: the key ${context.key} is outside the granted prefix ${context.prefix} (AccessDenied: ${message})`;
  if (message.includes('"$Content-Type"')) return `S3 refused the upload: its Content-Type is not the one granted (AccessDenied: ${message})`;
  return `S3 refused the upload: ${code}${message ? `: ${message}` : ''} (HTTP ${status})`;
}

/** Asks upload-grant for a presigned POST; a refusal throws its reason. */
export async function requestGrant(grantUrl: string, token: string, contentType: string): Promise<Grant> {
  const response = await fetch(grantUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contentType }),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<Grant> & { error?: string };
  if (!response.ok || !body.url || !body.fields) throw new Error(`upload-grant refused (HTTP ${response.status}): ${body.error ?? 'no reason given'}`);
  return body as Grant;
}

/** POSTs `file` as `key` with a grant's fields, streaming it and reporting bytes sent. */
export async function postWithGrant(grant: Grant, key: string, file: string, onProgress: Progress = () => {}): Promise<void> {
  const { size } = await stat(file);
  const boundary = `----edge-images-${randomBytes(12).toString('hex')}`;
  const fields: Record<string, string> = { ...grant.fields, key };
  const head = Buffer.from(
    `${Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join(
        '',
      )}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${key.split('/').pop()!.replaceAll('"', '')}"\r\nContent-Type: ${fields['Content-Type'] ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(grant.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.byteLength + size + tail.byteLength } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    (async () => {
      req.write(head);
      const handle = await open(file);
      let sent = 0;
      try {
        for await (const chunk of handle.createReadStream({ highWaterMark: 256 * 1024 })) {
          sent += (chunk as Buffer).byteLength;
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          onProgress(sent, size);
        }
      } finally {
        await handle.close();
      }
      req.end(tail);
    })().catch((error: unknown) => req.destroy(error as Error));
  });
  if (status < 200 || status > 299) throw new Error(explainS3Refusal(status, body, { key, prefix: grant.prefix, bytes: size }));
}

export interface CredentialsUpload {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  /** Files of at least this many bytes go as multipart uploads of parts this big (S3's minimum part is 5 MiB). */
  readonly partBytes?: number;
  /** Replace an existing original (its old variants are then purged by derived-cleanup). */
  readonly replace?: boolean;
  readonly onProgress?: Progress;
}

const MiB = 1024 * 1024;
const PARALLEL_PARTS = 4;

const exists = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;

/** The operator's upload: returns `put` or `multipart` (how it went). */
export async function uploadWithCredentials(options: CredentialsUpload): Promise<'put' | 'multipart'> {
  const { client, bucket, key, file } = options;
  const partBytes = Math.max(options.partBytes ?? 8 * MiB, 5 * MiB);
  const onProgress = options.onProgress ?? (() => {});
  const { size } = await stat(file);
  const condition = options.replace ? {} : { IfNoneMatch: '*' };
  const refuseExisting = () => new Error(`An original named ${key} exists already in ${bucket}; pass --replace to replace it (its variants are purged)`);
  if (!options.replace) {
    // S3 enforces If-None-Match on the write itself; asking first spares uploading a big file in vain.
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    if (head) throw refuseExisting();
  }
  const ContentType = contentTypeOfKey(key);
  const handle = await open(file);
  try {
    if (size < partBytes) {
      const body = await handle.readFile();
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType, ...condition })).catch((error: unknown) => {
        throw exists(error) ? refuseExisting() : error;
      });
      onProgress(size, size);
      return 'put';
    }
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType }));
    try {
      const count = Math.ceil(size / partBytes);
      const parts: { PartNumber: number; ETag: string }[] = [];
      let sent = 0;
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const index = next++;
          const length = Math.min(partBytes, size - index * partBytes);
          const buffer = Buffer.alloc(length);
          await handle.read(buffer, 0, length, index * partBytes);
          const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: index + 1, Body: buffer }));
          parts.push({ PartNumber: index + 1, ETag: ETag! });
          sent += length;
          onProgress(sent, size);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ...condition }));
      return 'multipart';
    } catch (error) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
      throw exists(error) ? refuseExisting() : error;
    }
  } finally {
    await handle.close();
  }
}

/** A one-line progress bar for a terminal: `[#########...........]  45% 12.3 of 27.0 MB`. */
export function progressBar(sent: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : sent / total;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${(sent / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
}
