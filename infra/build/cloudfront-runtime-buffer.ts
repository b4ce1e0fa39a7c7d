/**
 * The Buffer module and the typed arrays of CloudFront Functions' runtime 2.0, as its page lists them
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html);
 * the rest of the runtime's lists are in cloudfront-runtime.ts.
 */
import type { BuiltIn } from './cloudfront-runtime.ts';

/**
 * Typed arrays: the ES 6 methods the page lists, on the prototype every typed array shares (newer
 * ones such as at, entries, keys, values, findLast, toReversed, toSorted and with are absent).
 */
export const TYPED_ARRAY_PROTOTYPE: readonly string[] = [
  'copyWithin',
  'every',
  'fill',
  'filter',
  'find',
  'findIndex',
  'forEach',
  'includes',
  'indexOf',
  'join',
  'lastIndexOf',
  'map',
  'reduce',
  'reduceRight',
  'reverse',
  'set',
  'slice',
  'some',
  'sort',
  'subarray',
  'toString',
];
/** The Buffer module's encodings: "utf8, hex, base64, base64url" (no latin1, ascii, binary or utf16le). */
export const BUFFER_ENCODINGS = ['utf8', 'hex', 'base64', 'base64url'] as const;

/**
 * The Buffer module's listed members. A Buffer is a Uint8Array, so the typed array methods above are
 * its too (our reading: the page lists Buffer's own methods only). Not listed, so absent:
 * allocUnsafeSlow, the BigInt readers and writers, the lowercase aliases (readUint8...),
 * toLocaleString.
 */
export const BUFFER: BuiltIn = {
  statics: ['alloc', 'allocUnsafe', 'byteLength', 'compare', 'concat', 'from', 'isBuffer', 'isEncoding'],
  prototype: [
    'compare',
    'copy',
    'equals',
    'fill',
    'includes',
    'indexOf',
    'lastIndexOf',
    'readDoubleBE',
    'readDoubleLE',
    'readFloatBE',
    'readFloatLE',
    'readInt8',
    'readInt16BE',
    'readInt16LE',
    'readInt32BE',
    'readInt32LE',
    'readIntBE',
    'readIntLE',
    'readUInt8',
    'readUInt16BE',
    'readUInt16LE',
    'readUInt32BE',
    'readUInt32LE',
    'readUIntBE',
    'readUIntLE',
    'slice',
    'subarray',
    'swap16',
    'swap32',
    'swap64',
    'toJSON',
    'toString',
    'write',
    'writeDoubleBE',
    'writeDoubleLE',
    'writeFloatBE',
    'writeFloatLE',
    'writeInt8',
    'writeInt16BE',
    'writeInt16LE',
    'writeInt32BE',
    'writeInt32LE',
    'writeIntBE',
    'writeIntLE',
    'writeUInt8',
    'writeUInt16BE',
    'writeUInt16LE',
    'writeUInt32BE',
    'writeUInt32LE',
    'writeUIntBE',
    'writeUIntLE',
  ],
};
