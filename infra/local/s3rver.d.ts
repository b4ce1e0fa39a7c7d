// s3rver ships no types; this is the part of its API the local edge uses.
declare module 's3rver' {
  import type { Server } from 'node:http';

  interface S3rverOptions {
    port?: number;
    address?: string;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface KoaContext {
    /** The request body stream; a middleware may replace it with another stream of the same bytes. */
    req: NodeJS.ReadableStream;
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    get(header: string): string;
    /** The parsed query string. */
    query: Record<string, string | string[]>;
    set(header: string, value: string): void;
    /** The request's Content-Type matched against a type (koa's ctx.is). */
    is(type: string): string | false | null;
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
  }

  type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export default class S3rver {
    constructor(options: S3rverOptions);
    middleware: Middleware[];
    httpServer: Server;
    run(): Promise<{ address: string; port: number }>;
    /** S3 event notifications for object PUT, POST, COPY and DELETE (keys not URL-encoded). */
    on(event: 'event', listener: (event: import('aws-lambda').S3Event) => void): this;
    off(event: 'event', listener: (event: import('aws-lambda').S3Event) => void): this;
    close(): Promise<void>;
  }
}
