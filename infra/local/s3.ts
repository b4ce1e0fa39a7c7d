/**
 * The embedded S3 of the local edge: s3rver in this process, data in a temporary directory, seeded
 * with originals. s3rver does not enforce conditional writes, so a middleware adds S3's
 * `If-None-Match: *` rule (412 when the key exists), atomically per key.
 *
 * s3rver also stores whatever part of a PUT body arrived when the connection is cut; S3 stores
 * nothing unless the whole body (its Content-Length) arrived. A second middleware reads the body
 * first and refuses an incomplete one with S3's 400 IncompleteBody, so nothing partial is ever kept.
 *
 * Methods map as S3 maps them for CloudFront's principal (the local edge reads S3 origins unsigned,
 * as CloudFront's OAC principal whose bucket policy grants s3:GetObject alone: infra/bucket.ts): GET
 * and HEAD read, OPTIONS is s3rver's CORS preflight (never a read: no CORS rules here, so 400 without
 * Origin and 403 with one, as "OPTIONS object" says,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html), and an unsigned write
 * (PUT, POST, DELETE, PATCH...) is a 403 AccessDenied: s3rver would otherwise perform it. Signed
 * requests (image-resize's store, the tooling client) are unaffected.
 *
 * Object events: `onObjectEvent` hears every PUT, POST, COPY and DELETE of an object as an S3 event
 * notification, shaped as S3 sends it (the key URL-encoded, spaces as `+`).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import S3rver from 's3rver';
import { s3ClientConfig } from '../../functions/adapters/s3/store.ts';
import { contentTypeOfKey } from '../../functions/core/media-types.ts';
import { postPolicyGuard } from './post-policy-guard.ts';
import type { PostRefusal } from './post-policy-guard.ts';

export interface LocalS3 {
  readonly endpoint: string;
  /** A client for tooling (seeding, the gallery, tests): no request timeouts. */
  readonly client: S3Client;
  readonly directory: string;
  /** Hears object events (S3 event notifications); returns a function that stops listening. Embedded S3 only. */
  onObjectEvent?(listener: (event: S3Event) => void): () => void;
  /**
   * Dev switch (x-local-s3-conflict): answer the next `count` conditional writes with 409
   * ConditionalRequestConflict; `onConflict` hears each one (bucket, key). Embedded S3 only.
   */
  armConflicts?(count: number): void;
  onConflict?(listener: (bucket: string, key: string) => void): () => void;
  /** Hears each browser upload (POST) the policy guard refused. Embedded S3 only. */
  onPostRefusal?(listener: (bucket: string, refusal: PostRefusal) => void): () => void;
  close(): Promise<void>;
}

/** s3rver's one account: the only credentials it accepts. */
const S3RVER_SECRETS = { S3RVER: 'S3RVER' };
/** Browser uploads (POST) from any page, as a stage's bucket allows its sites' origins; GET stays without CORS. */
const UPLOAD_CORS =
  '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>POST</AllowedMethod>' +
  '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>Location</ExposeHeader></CORSRule></CORSConfiguration>';

export async function startLocalS3(options: {
  buckets: readonly string[];
  port?: number;
  directory?: string;
  /** The largest browser upload (POST) body read before the policy is checked: the policy's maxInputBytes plus the form's fields. */
  maxPostBytes?: number;
}): Promise<LocalS3> {
  const directory = options.directory ?? (await mkdtemp(path.join(tmpdir(), 'edge-images-s3-')));
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [UPLOAD_CORS] })),
  });
  const postRefusals = new Set<(bucket: string, refusal: PostRefusal) => void>();
  const guard = postPolicyGuard({
    secrets: S3RVER_SECRETS,
    maxBodyBytes: options.maxPostBytes ?? DEFAULT_MAX_POST_BYTES,
    onRefusal: (bucket, refusal) => {
      for (const listener of postRefusals) listener(bucket, refusal);
    },
  });
  // Before the router (the last middleware), after the path-style/vhost handling.
  const conflicts = { armed: 0, listeners: new Set<(bucket: string, key: string) => void>() };
  // The POST policy guard first: a browser upload carries its signature in the form, and the guard
  // has checked it before the unsigned-write rule sees the request.
  server.middleware.splice(server.middleware.length - 1, 0, guard, readOnlyWhenUnsigned(), completeBodies(), injectedConflicts(conflicts), conditionalWrites());
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client(s3ClientConfig('us-east-1', endpoint, 'tooling'));
  return {
    endpoint,
    client,
    directory,
    armConflicts(count) {
      conflicts.armed = count;
    },
    onConflict(listener) {
      conflicts.listeners.add(listener);
      return () => conflicts.listeners.delete(listener);
    },
    onPostRefusal(listener) {
      postRefusals.add(listener);
      return () => postRefusals.delete(listener);
    },
    onObjectEvent(listener) {
      const forward = (event: S3Event) => listener(asS3Notification(event));
      server.on('event', forward);
      return () => server.off('event', forward);
    },
    async close() {
      client.destroy();
      await server.close();
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** 64 MiB of image (images.limits.maxInputBytes) and a megabyte of form fields. */
const DEFAULT_MAX_POST_BYTES = 65 * 1024 * 1024;

/**
 * An unsigned request may read (GET, HEAD) or ask a CORS preflight (OPTIONS); a browser upload (a
 * form POST, signed inside the form) reaches here only after the POST policy guard passed it;
 * anything else is denied.
 */
function readOnlyWhenUnsigned() {
  return async (ctx: Parameters<S3rver['middleware'][number]>[0], next: () => Promise<void>) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return next();
    if (ctx.method === 'POST' && ctx.is('multipart/form-data')) return next();
    const signed = ctx.get('authorization') !== '' || 'Signature' in ctx.query || 'X-Amz-Algorithm' in ctx.query;
    if (signed) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
  };
}

/** S3 keeps an object only when its whole body arrived: a cut upload is a 400, never a partial object. */
function completeBodies() {
  return async (ctx: Parameters<S3rver['middleware'][number]>[0], next: () => Promise<void>) => {
    if (ctx.method !== 'PUT' || ctx.get('x-amz-copy-source') || ctx.path.split('/').length < 3) return next();
    const request = ctx.req as IncomingMessage;
    const declared = ctx.get('content-length');
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of request) {
        chunks.push(chunk as Buffer);
        received += (chunk as Buffer).byteLength;
      }
    } catch {
      // The connection was cut: `complete` stays false below.
    }
    if (!request.complete || (declared !== '' && Number(declared) !== received)) {
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>IncompleteBody</Code>' +
        '<Message>You did not provide the number of bytes specified by the Content-Length HTTP header</Message></Error>';
      return;
    }
    ctx.req = Readable.from([Buffer.concat(chunks, received)]);
    return next();
  };
}

/** s3rver's event with the key as S3 puts it in a notification: URL-encoded, spaces as `+`. */
function asS3Notification(event: S3Event): S3Event {
  return {
    Records: event.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
        object: { ...record.s3.object, key: encodeEventKey(record.s3.object.key) },
      },
    })),
  };
}

export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replaceAll('%20', '+'))
    .join('/');
}

/** The dev switch's 409: S3's answer to a conditional write while another one of the key is in flight. */
function injectedConflicts(state: { armed: number; listeners: Set<(bucket: string, key: string) => void> }) {
  return async (ctx: Parameters<S3rver['middleware'][number]>[0], next: () => Promise<void>) => {
    if (state.armed <= 0 || ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*' || ctx.get('x-amz-copy-source')) return next();
    state.armed -= 1;
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    // The body is the client's to send: read it, so the connection stays usable for the retry.
    for await (const _ of ctx.req) void _;
    ctx.status = 409;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ConditionalRequestConflict</Code>' +
      '<Message>A conflicting conditional operation is currently in progress against this resource. Please try again.</Message></Error>';
    for (const listener of state.listeners) listener(bucket, key);
  };
}

function conditionalWrites() {
  const locks = new Map<string, Promise<void>>();
  return async (ctx: Parameters<S3rver['middleware'][number]>[0], next: () => Promise<void>) => {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*' || ctx.get('x-amz-copy-source')) return next();
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const id = `${bucket}/${key}`;
    const previous = locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => mine);
    locks.set(id, chained);
    await previous;
    try {
      if (await ctx.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          '<Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(id) === chained) locks.delete(id);
    }
  };
}

/** Uploads every file under `directory` as an original, keyed by its relative path. */
export async function seedOriginals(client: S3Client, bucket: string, directory: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const key = path.relative(directory, file).split(path.sep).join('/');
    if (key.startsWith('_derived/')) continue;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file), ContentType: contentTypeOfKey(key) }));
    keys.push(key);
  }
  return keys.sort();
}
