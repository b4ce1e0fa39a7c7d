/**
 * The admission stage of the local edge: the requests CloudFront refuses before any function runs
 * (a bad target, over-long, a method the behavior does not allow, a GET with a body, a body too
 * large), the dev switches taken off, and the viewer request as a viewer-request function sees it.
 */
import type { IncomingMessage } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import { appendCfHeader } from '../../functions/adapters/cloudfront/headers.ts';
import { isDisallowedHeader } from './cloudfront-validate.ts';
import { LOCAL_MAX_REQUEST_BODY_BYTES } from '../cloudfront-quotas.ts';
import { HOP_BY_HOP, cloudFrontError, localError } from './answer.ts';
import type { Answer } from './answer.ts';
import { isDevSwitch, takeDevSwitches } from './dev.ts';
import type { Simulation } from './dev.ts';
import type { Exchange } from './exchange.ts';
import { MAX_REQUEST_BYTES, MAX_URL_BYTES } from './rules/path.ts';

/** The viewer's IP address locally (a dev switch may set another). */
const CLIENT_IP = '127.0.0.1';

/** A request CloudFront lets through: what the viewer-request stage starts from. */
export interface Admitted {
  readonly request: CloudFrontRequest;
  /** The dev switches in force for this request: the edge's, overridden by the request's own. */
  readonly simulation: Simulation;
  /** The body for the origin (methods other than GET and HEAD). */
  readonly body: Buffer | undefined;
}

export interface AdmissionOptions {
  /** The dev switches in force for every request. */
  readonly simulate: Simulation;
  /** The x-local-s3-conflict switch of a request (dev.ts): the embedded S3 is told before any function runs. */
  readonly armS3Conflicts?: ((count: number) => void) | undefined;
}

/**
 * The request as the viewer-request stage gets it, or the answer CloudFront gives instead: at once
 * for a GET or HEAD (nothing to read), a promise for a method whose body is read first.
 */
export function admit(x: Exchange, options: AdmissionOptions): Admitted | Answer | Promise<Admitted | Answer> {
  const { req, res, method, behavior, requestId, target } = x;
  // Origin-form only (`/path`): `*` and absolute URLs never reach a function (rules: path.targets).
  if (target.kind === 'refused') return cloudFrontError(400, 'Bad request.', 'The request could not be understood.', requestId);
  // CloudFront: a URL over 8,192 bytes or a request over 20,480 bytes is a 413, and the connection closes
  // (RequestAndResponseBehaviorCustomOrigin.html, "Maximum length of a request and maximum length of a URL").
  if (x.tooLong) {
    res.setHeader('Connection', 'close');
    return cloudFrontError(413, 'Request Entity Too Large', 'The request could not be satisfied.', requestId);
  }
  if (!(behavior.allowedMethods as readonly string[]).includes(method)) {
    return cloudFrontError(
      403,
      'Bad request.',
      'This distribution is not configured to allow the HTTP request method that was used for this request.',
      requestId,
    );
  }
  // CloudFront answers a GET (or HEAD) with a body 403 (rules: req.get-body).
  const bodiless = method === 'GET' || method === 'HEAD';
  if (bodiless && hasBody(req)) {
    return cloudFrontError(403, 'Bad request.', 'A GET request that includes a body is not allowed.', requestId);
  }
  // Dev-only switches are read and removed here, before any function could see them.
  let dev: DevSwitches;
  try {
    dev = takeDevSwitches(req.rawHeaders, target.querystring);
  } catch (error) {
    return localError(400, (error as Error).message);
  }
  return bodiless ? admitted(x, options, dev, undefined) : withBody(x, options, dev);
}

type DevSwitches = ReturnType<typeof takeDevSwitches>;

/** Admits a request whose method may carry a body, once that body is read (at most LOCAL_MAX_REQUEST_BODY_BYTES). */
async function withBody(x: Exchange, options: AdmissionOptions, dev: DevSwitches): Promise<Admitted | Answer> {
  const { req, res, requestId } = x;
  let body: Buffer;
  try {
    body = await requestBody(req);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    // Read no further: the connection closes once this answer is sent.
    res.shouldKeepAlive = false;
    req.pause();
    return cloudFrontError(413, 'Request Entity Too Large.', `The request body is too large (${error.message}).`, requestId);
  }
  return admitted(x, options, dev, body);
}

function admitted(x: Exchange, options: AdmissionOptions, dev: DevSwitches, body: Buffer | undefined): Admitted {
  const simulation: Simulation = { ...options.simulate, ...dev.simulation };
  if (simulation.s3Conflicts !== undefined) options.armS3Conflicts?.(simulation.s3Conflicts);
  const request: CloudFrontRequest = {
    clientIp: simulation.viewerIp ?? CLIENT_IP,
    method: x.method,
    uri: x.uri,
    querystring: dev.querystring,
    headers: viewerHeaders(x.req),
  };
  return { request, simulation, body };
}

/** Whether the URL or the request line and headers are over CloudFront's limits (a 413). */
export function isTooLong(req: IncomingMessage): boolean {
  if (Buffer.byteLength(req.url ?? '') > MAX_URL_BYTES) return true;
  // Counted exactly only when a bound on its size does not settle it.
  return mostRequestBytes(req) > MAX_REQUEST_BYTES && requestBytes(req) > MAX_REQUEST_BYTES;
}

/**
 * At least as many bytes as the request line and headers take: a character is at most 3 bytes of
 * UTF-8, so a request whose characters are few enough cannot be over the limit, and its exact size
 * is not needed.
 */
function mostRequestBytes(req: IncomingMessage): number {
  let chars = (req.method ?? '').length + (req.url ?? '').length + req.httpVersion.length + 9;
  for (const field of req.rawHeaders) chars += field.length + 2;
  return chars * 3;
}

/**
 * The viewer's headers as a function sees them, in CloudFront's map (lowercase name -> `[{ key, value }]`,
 * one entry per value, in the viewer's order): disallowed and hop-by-hop ones never arrive.
 */
function viewerHeaders(req: IncomingMessage): CloudFrontHeaders {
  const headers: CloudFrontHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    // Dev switches are local-only. A viewer's CloudFront-Viewer-* headers reach viewer functions (as in
    // AWS); the forwarding model replaces them with CloudFront's values for origin events.
    if (isDisallowedHeader(lower) || HOP_BY_HOP.has(lower) || isDevSwitch(lower)) continue;
    appendCfHeader(headers, name, raw[i + 1]!, lower);
  }
  return headers;
}

/** The request line and headers in bytes, as CloudFront's 20,480-byte limit counts them (`name: value\r\n` per header). */
function requestBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(req.rawHeaders[i]!) + Buffer.byteLength(req.rawHeaders[i + 1]!) + 4;
  return bytes;
}

/** Whether the viewer sent a body: a Content-Length above 0, or a chunked one. */
function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

class BodyTooLarge extends Error {}

/** The body of a request that may have one (not GET or HEAD), for the origin; at most LOCAL_MAX_REQUEST_BODY_BYTES. */
async function requestBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > LOCAL_MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`${declared} bytes declared`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > LOCAL_MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`more than ${LOCAL_MAX_REQUEST_BODY_BYTES} bytes sent`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
