/**
 * upload-grant on the local edge: the real handler behind a node:http server that stands in for its
 * Lambda function URL (the event a function URL sends, payload format 2.0:
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html), with the CORS a function URL's
 * configuration answers itself (preflight included) for the gallery page and any local site. The
 * grants name the embedded S3's path-style bucket URL: Transfer Acceleration has no local meaning.
 * The token key is made at start, per run; `mint` is the site's backend of the local edge (the
 * gallery asks it through its own API).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { s3NonceStore } from '../../functions/adapters/s3/nonces.ts';
import type { Log } from '../../functions/core/log.ts';
import { mintUploadToken } from '../../functions/core/upload-token.ts';
import { createHandler } from '../../functions/upload-grant/handler.ts';
import type { UploadGrantConfig } from '../../functions/upload-grant/handler.ts';

export interface LocalUploadGrant {
  /** The function URL's stand-in: POST here with `Authorization: Bearer <token>`. */
  readonly url: string;
  readonly config: UploadGrantConfig;
  /** The stage's token key for this run (what a site's backend holds). */
  readonly tokenKey: string;
  /** A token as a site's backend mints it: `prefix` under the config's allowed prefixes, valid `seconds`. */
  mint(prefix: string, seconds?: number): string;
  close(): Promise<void>;
}

/** A grant request is a few dozen bytes; a function URL takes up to 6 MB, this stand-in far less. */
const MAX_REQUEST_BYTES = 64 * 1024;
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalUploadGrant(options: { config: UploadGrantConfig; client: S3Client; log: Log }): Promise<LocalUploadGrant> {
  const tokenKey = randomBytes(32).toString('base64url');
  const handler = createHandler(options.config, {
    tokenKey,
    credentials: () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }),
    nonces: s3NonceStore(options.client, options.config.bucket),
    now: Date.now,
    log: options.log,
  });
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res
        .writeHead(413, { ...CORS, 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `Expected a request of at most ${MAX_REQUEST_BYTES} bytes` }));
      return;
    }
    const target = req.url ?? '/';
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: target.split('?')[0] ?? '/',
      rawQueryString: target.includes('?') ? target.slice(target.indexOf('?') + 1) : '',
      headers,
      requestContext: {
        requestId: randomBytes(8).toString('hex'),
        http: {
          method: req.method ?? 'GET',
          path: target,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress ?? '',
          userAgent: headers['user-agent'] ?? '',
        },
      },
      body: body.toString('base64'),
      isBase64Encoded: true,
    } as unknown as APIGatewayProxyEventV2;
    const result = await handler(event, undefined);
    res.writeHead(result.statusCode ?? 200, { ...CORS, ...(result.headers as Record<string, string>) }).end(result.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    config: options.config,
    tokenKey,
    mint(prefix, seconds = 300) {
      const nonce = randomBytes(18).toString('base64url');
      return mintUploadToken({ stage: options.config.stage, prefix, exp: Math.floor(Date.now() / 1000) + seconds, nonce }, tokenKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
