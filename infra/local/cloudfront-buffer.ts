/**
 * The Buffer module as runtime 2.0 documents it
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html):
 * the listed statics and methods only (infra/build/cloudfront-runtime.ts BUFFER and
 * TYPED_ARRAY_PROTOTYPE), the encodings utf8, hex, base64 and base64url only. A function gets a
 * facade over Node's Buffer: every buffer it sees is a view that answers the listed members and
 * nothing else, and an unlisted encoding throws as an unknown one does in Node. Node's own Buffer is
 * never changed (the host process keeps using it).
 */
import { BUFFER, BUFFER_ENCODINGS, TYPED_ARRAY_PROTOTYPE } from '../build/cloudfront-runtime-buffer.ts';

const INSTANCE_MEMBERS = new Set([...(BUFFER.prototype ?? []), ...TYPED_ARRAY_PROTOTYPE]);
/** The non-method members every buffer has (typed array accessors and the link to its class). */
const INSTANCE_PROPERTIES = new Set(['length', 'byteLength', 'byteOffset', 'buffer', 'BYTES_PER_ELEMENT', 'constructor']);

function checkEncoding(value: unknown): void {
  if (typeof value === 'string' && Buffer.isEncoding(value) && !(BUFFER_ENCODINGS as readonly string[]).includes(value)) {
    throw new TypeError(`Unknown encoding: ${value}`);
  }
}

/** A Buffer facade and the wrapper that turns Node's buffers into the views the function sees. */
export interface SandboxBuffer {
  readonly Buffer: unknown;
  /** Node's buffer as the view a function sees. */
  readonly wrap: (value: unknown) => unknown;
  /** A view back to Node's buffer, for the host functions a function passes it to (crypto, TextDecoder). */
  readonly unwrap: (value: unknown) => unknown;
}

export function sandboxBuffer(): SandboxBuffer {
  const views = new WeakMap<object, Buffer>();
  const unwrap = (value: unknown): unknown => (typeof value === 'object' && value !== null ? (views.get(value) ?? value) : value);
  const wrap = (value: unknown): unknown => {
    if (!Buffer.isBuffer(value)) return value;
    const view = new Proxy(value, {
      get(target, property) {
        if (typeof property === 'symbol' || /^\d+$/.test(property)) return Reflect.get(target, property);
        if (property === 'constructor') return facade;
        if (INSTANCE_PROPERTIES.has(property)) return Reflect.get(target, property);
        if (!INSTANCE_MEMBERS.has(property)) return undefined;
        const method = Reflect.get(target, property) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          // toString(encoding) takes the encoding first; the other methods after their value.
          (property === 'toString' ? args : args.slice(1)).forEach(checkEncoding);
          return wrap(method.apply(target, args.map(unwrap)));
        };
      },
      has(target, property) {
        return typeof property === 'symbol' || /^\d+$/.test(property) || INSTANCE_MEMBERS.has(property) || INSTANCE_PROPERTIES.has(property)
          ? Reflect.has(target, property)
          : false;
      },
    });
    views.set(view, value);
    return view;
  };
  const facade = function SandboxBuffer() {
    throw new TypeError('Buffer is not a constructor: use Buffer.from or Buffer.alloc');
  } as unknown as Record<string, unknown>;
  for (const name of BUFFER.statics ?? []) {
    const method = Buffer[name as keyof typeof Buffer] as (...args: unknown[]) => unknown;
    facade[name] = (...args: unknown[]) => {
      if (name === 'isEncoding') return (BUFFER_ENCODINGS as readonly string[]).includes(args[0] as string);
      if (name === 'isBuffer') return typeof args[0] === 'object' && args[0] !== null && views.has(args[0]);
      args.slice(1).forEach(checkEncoding);
      const unwrapped = args.map((arg) => (Array.isArray(arg) ? arg.map(unwrap) : unwrap(arg)));
      return wrap(method.apply(Buffer, unwrapped));
    };
  }
  return { Buffer: facade, wrap, unwrap };
}
