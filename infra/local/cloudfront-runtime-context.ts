/**
 * The global scope of CloudFront Functions' `cloudfront-js-2.0` runtime, built in a node:vm context:
 * only the globals and members the runtime 2.0 page lists (infra/build/cloudfront-runtime.ts), the
 * typed arrays' shared prototype pruned to its listed methods, Buffer as the listed facade
 * (cloudfront-buffer.ts), Date frozen during a run, and the documented modules behind `require`.
 * Page: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
 */
import { createHash, createHmac } from 'node:crypto';
import querystring from 'node:querystring';
import vm from 'node:vm';
import { CRYPTO_ALGORITHMS, CRYPTO_ENCODINGS, GLOBALS, LANGUAGE_MEMBERS } from '../build/cloudfront-runtime.ts';
import { TYPED_ARRAY_PROTOTYPE } from '../build/cloudfront-runtime-buffer.ts';
import { type SandboxBuffer, sandboxBuffer } from './cloudfront-buffer.ts';

/** A thrown value as `Name: message`, for the run's failure reason and console.log. */
export function describeThrown(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'message' in error) {
    const name = 'name' in error ? String((error as { name: unknown }).name) : 'Error';
    return `${name}: ${String((error as { message: unknown }).message)}`;
  }
  return String(error);
}

/** A context holding only what the runtime documents. */
export function runtimeContext(clock: { readonly startedAt: number }, log: (line: string) => void): vm.Context {
  const context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false }, name: 'cloudfront-js-2.0' });
  const global = vm.runInContext('globalThis', context) as Record<string, unknown>;
  // `eval` stays (calling it throws an EvalError, as AWS says it throws); everything unlisted goes.
  for (const name of Object.getOwnPropertyNames(global)) {
    if (name === 'eval') continue;
    if (Object.hasOwn(GLOBALS, name)) continue;
    // A flag of node's own (`--expose-gc`, `--expose-externalize-string`, which adds `x`...) can add a
    // global that cannot be deleted: it is overwritten with undefined instead, so the function sees
    // nothing the runtime does not list, and stays writable, so the function's own top-level
    // `var x` (minified code has them) still takes its value.
    if (!Reflect.deleteProperty(global, name)) Object.defineProperty(global, name, { value: undefined, writable: true });
  }
  for (const [name, allowed] of Object.entries(GLOBALS)) {
    if (name === 'globalThis') continue;
    const value = global[name];
    if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) continue;
    prune(value, allowed.statics ?? []);
    const prototype = (value as { prototype?: unknown }).prototype;
    if (typeof value === 'function' && typeof prototype === 'object' && prototype !== null) prune(prototype, allowed.prototype ?? []);
  }
  // Every typed array shares one prototype (%TypedArray%.prototype): its unlisted methods go too.
  const typedArray = Object.getPrototypeOf((global['Uint8Array'] as { prototype: object }).prototype) as object;
  prune(typedArray, TYPED_ARRAY_PROTOTYPE);
  prune(Object.getPrototypeOf(global['Uint8Array']) as object, ['from', 'of']);
  freezeDate(global, clock);
  const ContextUint8Array = global['Uint8Array'] as Uint8ArrayConstructor;
  // TextEncoder's bytes are the runtime's own Uint8Array (with the pruned prototype), not Node's.
  global['TextEncoder'] = function TextEncoderOfTheRuntime() {
    const encoder = new TextEncoder();
    return { encode: (text?: string) => new ContextUint8Array(encoder.encode(text)) };
  };
  const buffer = sandboxBuffer();
  global['TextDecoder'] = function TextDecoderOfTheRuntime(label?: string, options?: TextDecoderOptions) {
    const decoder = new TextDecoder(label, options);
    return { decode: (input?: AllowSharedBufferSource) => decoder.decode(buffer.unwrap(input) as AllowSharedBufferSource | undefined) };
  };
  global['Buffer'] = buffer.Buffer;
  global['atob'] = atob;
  global['btoa'] = btoa;
  global['console'] = {
    // One argument: "CloudFront Functions doesn't support comma syntax, such as console.log('a', 'b')".
    // What AWS does with a second argument is not said; it is ignored here.
    log: (message: unknown) => log(typeof message === 'string' ? message : describeThrown(message)),
  };
  global['require'] = (name: string) => requireModule(name, buffer);
  return context;
}

/** Removes the function-valued members a listed built-in should not have. */
function prune(target: object, keep: readonly string[]): void {
  for (const member of Object.getOwnPropertyNames(target)) {
    if (keep.includes(member) || LANGUAGE_MEMBERS.includes(member)) continue;
    // What the language calls by itself (`${x}`, `+`, JSON) stays on every built-in: AWS's own
    // examples interpolate errors and values.
    if (member === 'toString' || member === 'valueOf' || member === 'toJSON') continue;
    const descriptor = Object.getOwnPropertyDescriptor(target, member);
    if (descriptor && typeof descriptor.value === 'function' && descriptor.configurable) delete (target as Record<string, unknown>)[member];
  }
}

/** "All Date methods to query the current time always return the same value during the lifetime of a single function run." */
function freezeDate(global: Record<string, unknown>, clock: { readonly startedAt: number }): void {
  const RealDate = global['Date'] as DateConstructor;
  const FrozenDate = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return new RealDate(clock.startedAt).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [clock.startedAt] : args, new.target);
  } as unknown as DateConstructor;
  Object.defineProperty(FrozenDate, 'prototype', { value: RealDate.prototype });
  Object.defineProperty(RealDate.prototype, 'constructor', { value: FrozenDate, configurable: true, writable: true });
  FrozenDate.now = () => clock.startedAt;
  FrozenDate.parse = RealDate.parse;
  FrozenDate.UTC = RealDate.UTC;
  global['Date'] = FrozenDate;
}

/** The documented modules: querystring, crypto (md5, sha1, sha256; hex, base64, base64url), cloudfront. */
function requireModule(name: string, buffer: SandboxBuffer): unknown {
  switch (name) {
    case 'querystring':
      return {
        parse: querystring.parse,
        decode: querystring.decode,
        stringify: querystring.stringify,
        encode: querystring.encode,
        escape: querystring.escape,
        unescape: querystring.unescape,
      };
    case 'crypto': {
      const algorithm = (a: string) => {
        if (!(CRYPTO_ALGORITHMS as readonly string[]).includes(a)) throw new Error(`Unsupported algorithm: ${a}`);
        return a;
      };
      const digestable = (h: { update(d: string | Uint8Array): unknown; digest(): Buffer; digest(e: 'hex' | 'base64' | 'base64url'): string }) => {
        const wrapped = {
          update(data: string | Uint8Array) {
            h.update(buffer.unwrap(data) as string | Uint8Array);
            return wrapped;
          },
          digest(encoding?: string) {
            if (encoding === undefined) return buffer.wrap(h.digest());
            if (!(CRYPTO_ENCODINGS as readonly string[]).includes(encoding)) throw new Error(`Unsupported encoding: ${encoding}`);
            return h.digest(encoding as 'hex');
          },
        };
        return wrapped;
      };
      return {
        createHash: (a: string) => digestable(createHash(algorithm(a))),
        createHmac: (a: string, key: string | Uint8Array) => digestable(createHmac(algorithm(a), buffer.unwrap(key) as string | Uint8Array)),
      };
    }
    case 'cloudfront':
      // Origin modification and key value stores act on CloudFront itself: not emulated here; a
      // function calling them fails loudly instead of silently doing nothing.
      return {
        kvs: () => {
          throw new Error('The local edge has no CloudFront KeyValueStore');
        },
        updateRequestOrigin: () => {
          throw new Error('The local edge does not emulate cf.updateRequestOrigin');
        },
        selectRequestOriginById: () => {
          throw new Error('The local edge does not emulate cf.selectRequestOriginById');
        },
        createRequestOriginGroup: () => {
          throw new Error('The local edge does not emulate cf.createRequestOriginGroup');
        },
      };
    default:
      throw new Error(`Cannot find module '${name}'`);
  }
}
