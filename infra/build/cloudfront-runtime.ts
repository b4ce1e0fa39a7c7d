/**
 * CloudFront Functions' JavaScript runtime 2.0 (`cloudfront-js-2.0`) as AWS documents it, as data:
 * the syntax the build may emit (esbuild's `supported` table) and the built-ins a function may use.
 * The build (infra/build/cloudfront-function.ts) compiles against the syntax; the local sandbox
 * (infra/local/cloudfront-sandbox.ts) refuses any other syntax and removes every built-in that is not
 * listed here, so a function that uses something the runtime lacks fails locally as it would in AWS.
 *
 * Sources (read 2026-12; the page lists "all supported features in this runtime"):
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
 *   (core features, primitive and built-in objects, error types, globals, built-in modules, restricted
 *   features: no eval or Function constructor, no timers, Date frozen at the start of the run, no file
 *   system, no process, no environment variables, no network)
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-features.html
 *   (2.0 against 1.0: the Buffer module is available in 2.0)
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions
 *   (function size: 10 KB)
 * - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html
 *   (`import cf from 'cloudfront'`, viewer request only)
 *
 * Where the page and AWS's own published examples differ, the examples win (a local runtime stricter
 * than AWS would refuse AWS's own code): `String.prototype.charCodeAt` is not on the page but AWS's
 * kvs-jwt-verify and select-vpc-origin examples (github.com/aws-samples/amazon-cloudfront-functions)
 * call it, and kvs-jwt-verify loads crypto with `import crypto from 'crypto'` as well as the
 * documented `require('crypto')`. Where AWS is silent the choice is named here: the Buffer module is a
 * global `Buffer` (the page lists `Buffer.alloc()` and the rest with no loading statement, unlike
 * querystring and crypto), and `require('buffer')` is not offered.
 */
import { CLOUDFRONT_QUOTAS } from '../cloudfront-quotas.ts';

/** The quota on a function's code, in bytes (infra/cloudfront-quotas.ts: "10 KB" read as 10,000). */
export const MAX_FUNCTION_BYTES = CLOUDFRONT_QUOTAS.functionCodeBytes;

/** The runtime name CloudFront's API and the console use. */
export const CLOUDFRONT_JS_RUNTIME = 'cloudfront-js-2.0';

/**
 * Syntax, as esbuild's feature names. `true`: listed on the page (const/let, async/await, template
 * literals, arrow functions, rest parameters, `**`, named capture groups, numeric separators).
 * `false`: not listed, so not used: esbuild lowers what it can (optional chaining, `??`, object
 * spread...) and refuses the rest (classes, destructuring, for-of, default arguments, shorthand
 * properties and methods, array spread...), which then has to be written another way.
 */
export const SYNTAX: Readonly<Record<string, boolean>> = {
  'const-and-let': true,
  'async-await': true,
  'template-literal': true,
  arrow: true,
  'rest-argument': true,
  'exponent-operator': true,
  'regexp-named-capture-groups': true,
  'regexp-sticky-and-unicode-flags': true,
  class: false,
  'class-field': false,
  'class-static-field': false,
  'class-private-field': false,
  'class-private-method': false,
  'class-private-accessor': false,
  'class-private-static-field': false,
  'class-private-static-method': false,
  'class-private-static-accessor': false,
  'class-private-brand-check': false,
  'class-static-blocks': false,
  destructuring: false,
  'nested-rest-binding': false,
  'for-of': false,
  'for-await': false,
  generator: false,
  'async-generator': false,
  'default-argument': false,
  'object-extensions': false,
  'object-accessors': false,
  'object-rest-spread': false,
  'array-spread': false,
  'optional-chain': false,
  'nullish-coalescing': false,
  'logical-assignment': false,
  'optional-catch-binding': false,
  'new-target': false,
  bigint: false,
  'unicode-escapes': false,
  'regexp-dot-all-flag': false,
  'regexp-lookbehind-assertions': false,
  'regexp-match-indices': false,
  'regexp-unicode-property-escapes': false,
  'regexp-set-notation': false,
  'top-level-await': false,
  'import-meta': false,
  'dynamic-import': false,
};

/** One built-in: the static members and prototype members a function may use (an empty list: none). */
export interface BuiltIn {
  readonly statics?: readonly string[];
  readonly prototype?: readonly string[];
}

const TYPED_ARRAY: BuiltIn = { statics: ['from', 'of'] };

/**
 * The globals of the runtime and, for each, the members the page lists. Every other global of V8
 * (Map, Set, WeakMap, Proxy, Reflect, Intl, WebAssembly, structuredClone, URL, URLSearchParams,
 * setTimeout, process, fetch...) is absent; every other member of a listed one is removed.
 * Non-function members (constants such as Number.EPSILON, `length`, `constructor`) are kept.
 */
export const GLOBALS: Readonly<Record<string, BuiltIn>> = {
  Object: {
    statics: [
      'create',
      'defineProperties',
      'defineProperty',
      'freeze',
      'getOwnPropertyDescriptor',
      'getOwnPropertyDescriptors',
      'getOwnPropertyNames',
      'getPrototypeOf',
      'isExtensible',
      'isFrozen',
      'isSealed',
      'keys',
      'preventExtensions',
      'seal',
      'assign',
      'entries',
      'values',
      // Listed as prototype methods (`Object.prototype.is()`, `Object.prototype.setPrototypeOf()`): the
      // statics they can only mean.
      'is',
      'setPrototypeOf',
    ],
    prototype: ['hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toString', 'valueOf'],
  },
  String: {
    statics: ['fromCharCode', 'fromCodePoint'],
    prototype: [
      'charAt',
      'concat',
      'indexOf',
      'lastIndexOf',
      'match',
      'replace',
      'search',
      'slice',
      'split',
      'substr',
      'substring',
      'toLowerCase',
      'trim',
      'toUpperCase',
      'codePointAt',
      'endsWith',
      'includes',
      'repeat',
      'startsWith',
      'padStart',
      'padEnd',
      'trimStart',
      'trimEnd',
      'replaceAll',
      // Not on the page; used by AWS's own examples (see above).
      'charCodeAt',
      // What the language calls itself when a string is converted (template literals, `+`).
      'toString',
      'valueOf',
    ],
  },
  Number: {
    statics: ['isFinite', 'isInteger', 'isNaN', 'isSafeInteger', 'parseInt', 'parseFloat'],
    prototype: ['toExponential', 'toFixed', 'toPrecision', 'valueOf'],
  },
  Boolean: { prototype: ['valueOf'] },
  Math: {
    statics: [
      'abs',
      'acos',
      'acosh',
      'asin',
      'asinh',
      'atan',
      'atan2',
      'atanh',
      'cbrt',
      'ceil',
      'clz32',
      'cos',
      'cosh',
      'exp',
      'expm1',
      'floor',
      'fround',
      'hypot',
      'imul',
      'log',
      'log1p',
      'log2',
      'log10',
      'max',
      'min',
      'pow',
      'random',
      'round',
      'sign',
      'sinh',
      'sin',
      'sqrt',
      'tan',
      'tanh',
      'trunc',
    ],
  },
  // "All ES 5.1 Date features": the ES 5.1 statics and prototype methods.
  Date: {
    statics: ['now', 'parse', 'UTC'],
    prototype: [
      'getDate',
      'getDay',
      'getFullYear',
      'getHours',
      'getMilliseconds',
      'getMinutes',
      'getMonth',
      'getSeconds',
      'getTime',
      'getTimezoneOffset',
      'getUTCDate',
      'getUTCDay',
      'getUTCFullYear',
      'getUTCHours',
      'getUTCMilliseconds',
      'getUTCMinutes',
      'getUTCMonth',
      'getUTCSeconds',
      'setDate',
      'setFullYear',
      'setHours',
      'setMilliseconds',
      'setMinutes',
      'setMonth',
      'setSeconds',
      'setTime',
      'setUTCDate',
      'setUTCFullYear',
      'setUTCHours',
      'setUTCMilliseconds',
      'setUTCMinutes',
      'setUTCMonth',
      'setUTCSeconds',
      'toDateString',
      'toISOString',
      'toJSON',
      'toLocaleDateString',
      'toLocaleString',
      'toLocaleTimeString',
      'toString',
      'toTimeString',
      'toUTCString',
      'valueOf',
    ],
  },
  Function: { prototype: ['apply', 'bind', 'call'] },
  RegExp: { prototype: ['exec', 'test', 'toString'] },
  JSON: { statics: ['parse', 'stringify'] },
  Array: {
    statics: ['isArray', 'of'],
    prototype: [
      'concat',
      'every',
      'filter',
      'forEach',
      'indexOf',
      'join',
      'lastIndexOf',
      'map',
      'pop',
      'push',
      'reduce',
      'reduceRight',
      'reverse',
      'shift',
      'slice',
      'some',
      'sort',
      'splice',
      'unshift',
      'copyWithin',
      'fill',
      'find',
      'findIndex',
      'includes',
    ],
  },
  Float32Array: TYPED_ARRAY,
  Float64Array: TYPED_ARRAY,
  Int8Array: TYPED_ARRAY,
  Int16Array: TYPED_ARRAY,
  Int32Array: TYPED_ARRAY,
  Uint8Array: TYPED_ARRAY,
  Uint8ClampedArray: TYPED_ARRAY,
  Uint16Array: TYPED_ARRAY,
  Uint32Array: TYPED_ARRAY,
  ArrayBuffer: { statics: ['isView'], prototype: ['slice'] },
  Promise: {
    statics: ['all', 'allSettled', 'any', 'reject', 'resolve', 'race'],
    prototype: ['catch', 'finally', 'then'],
  },
  DataView: {
    prototype: [
      'getFloat32',
      'getFloat64',
      'getInt16',
      'getInt32',
      'getInt8',
      'getUint16',
      'getUint32',
      'getUint8',
      'setFloat32',
      'setFloat64',
      'setInt16',
      'setInt32',
      'setInt8',
      'setUint16',
      'setUint32',
      'setUint8',
    ],
  },
  Symbol: { statics: ['for', 'keyFor'] },
  TextDecoder: { prototype: ['decode'] },
  TextEncoder: { prototype: ['encode', 'encodeInto'] },
  Error: {},
  EvalError: {},
  RangeError: {},
  ReferenceError: {},
  SyntaxError: {},
  TypeError: {},
  URIError: {},
  // Global functions and constants ("Globals").
  decodeURI: {},
  decodeURIComponent: {},
  encodeURI: {},
  encodeURIComponent: {},
  isFinite: {},
  isNaN: {},
  parseFloat: {},
  parseInt: {},
  atob: {},
  btoa: {},
  NaN: {},
  Infinity: {},
  undefined: {},
  globalThis: {},
};

/**
 * The prototype members the language itself needs to run a listed feature, kept whatever the page
 * says: iterators behind `Array.prototype.join` and friends are internal, but these are looked up as
 * properties (Symbol.iterator on arrays and strings for rest parameters, Symbol.toPrimitive, the
 * `constructor` link, RegExp's symbol methods behind `replace`/`split`/`match`).
 */
export const LANGUAGE_MEMBERS: readonly string[] = ['constructor', 'length', 'name', 'prototype', 'lastIndex'];

/** Modules a function may load (`require(name)`, or `import x from name`: AWS's examples do both): querystring, crypto, cloudfront; the sandbox's require offers these. */

/** Hash and HMAC algorithms and digest encodings of the crypto module. */
export const CRYPTO_ALGORITHMS = ['md5', 'sha1', 'sha256'] as const;
export const CRYPTO_ENCODINGS = ['hex', 'base64', 'base64url'] as const;
