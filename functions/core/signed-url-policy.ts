/**
 * The pieces of CloudFront's signed-URL format, pure: its URL-safe base64, the canned policy, custom
 * policy parsing, resource wildcards and IP ranges. `signed-url.ts` puts them together.
 *
 * Decisions, each deliberate:
 * - Base64 is CloudFront's variant (`+` -> `-`, `=` -> `_`, `/` -> `~`) and must be canonical: padding
 *   optional but right, no stray characters, unused trailing bits zero. Node's own decoder is lenient
 *   (it skips junk and ignores trailing bits), which would let two spellings carry one signature.
 * - A custom policy is strict JSON with exactly one statement and only the fields CloudFront knows;
 *   `DateLessThan` is required; epoch times are whole seconds.
 * - Resource matching is CloudFront's: `*` (any run of characters, `/`, `?` and `&` included, empty
 *   too) and `?` (exactly one character) may stand anywhere in the Resource, which is matched against
 *   the whole viewer URL string `scheme://host/path?query`, case-sensitively. So `https://cdn*` covers
 *   every path of every host that starts with `cdn`, as CloudFront's own docs allow
 *   ("Create a signed URL using a custom policy", Resource:
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html).
 * - `IpAddress.AWS:SourceIp` takes IPv4 and IPv6 CIDRs (a bare address means /32 or /128). CloudFront
 *   itself supports IPv4 only: IPv6 ranges are this project's documented extension. A viewer of one family never matches a range of the other;
 *   an IPv4-mapped IPv6 viewer address (`::ffff:192.0.2.1`) counts as IPv4.
 */

/** CloudFront's URL-safe base64 of bytes, padded as CloudFront and @aws-sdk/cloudfront-signer write it. */
export function encodeCloudFrontBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/[+=/]/g, (c) => (c === '+' ? '-' : c === '=' ? '_' : '~'));
}

/** Character code -> 6-bit value in CloudFront's alphabet (`-` is 62, `~` is 63); 255 for anything else. */
const CF_VALUE: Uint8Array = (() => {
  const table = new Uint8Array(128).fill(255);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** Decodes CloudFront's base64 strictly; undefined unless the text is the one canonical spelling of its bytes. */
export function decodeCloudFrontBase64(text: string): Buffer | undefined {
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text.charCodeAt(end - 1) === 95 /* _ */) end--;
  const padding = text.length - end;
  if (end === 0) return undefined;
  let tilde = false;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || CF_VALUE[c] === 255) return undefined;
    if (c === 126) tilde = true;
  }
  const tail = end % 4;
  if (tail === 1) return undefined;
  // Padding, when given, must be exactly what this length needs.
  if (padding > 0 && padding !== 4 - tail) return undefined;
  // The unused low bits of the last character must be zero (4 of them after 2 characters, 2 after 3).
  if (tail !== 0 && (CF_VALUE[text.charCodeAt(end - 1)]! & (tail === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  // base64url uses `-` and `_` for 62 and 63 and no padding: CloudFront's `~` is base64url's `_`.
  const body = padding === 0 ? text : text.slice(0, end);
  return Buffer.from(tilde ? body.replaceAll('~', '_') : body, 'base64url');
}

/** The exact canned policy CloudFront signs: the resource JSON-escaped as JSON.stringify does. */
export function cannedPolicy(resource: string, expires: number | string): string {
  return `{"Statement":[{"Resource":${JSON.stringify(resource)},"Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

export interface PolicyStatement {
  /** undefined: every object (CloudFront's meaning of an absent Resource). */
  readonly resource: string | undefined;
  readonly dateLessThan: number;
  readonly dateGreaterThan: number | undefined;
  readonly sourceIp: Cidr | undefined;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Parses a custom policy (the JSON the signature covers) into its one statement. */
export function parsePolicy(json: string): Parsed<PolicyStatement> {
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch {
    return fail('Expected the Policy to be JSON but it does not parse');
  }
  if (!isObject(root) || !onlyKeys(root, ['Statement'])) return fail('Expected a Policy object with only a Statement');
  const statements = root['Statement'];
  if (!Array.isArray(statements) || statements.length !== 1) return fail('Expected exactly one Statement in the Policy');
  const statement: unknown = statements[0];
  if (!isObject(statement) || !onlyKeys(statement, ['Resource', 'Condition'])) {
    return fail('Expected a Statement with only Resource and Condition');
  }
  const resource = statement['Resource'];
  if (resource !== undefined && typeof resource !== 'string') return fail('Expected a string for Resource');
  const condition = statement['Condition'];
  if (!isObject(condition) || !onlyKeys(condition, ['DateLessThan', 'DateGreaterThan', 'IpAddress'])) {
    return fail('Expected a Condition with only DateLessThan, DateGreaterThan and IpAddress');
  }
  const dateLessThan = epochTime(condition['DateLessThan']);
  if (dateLessThan === undefined) return fail('Expected DateLessThan with a whole AWS:EpochTime in the Policy');
  let dateGreaterThan: number | undefined;
  if (condition['DateGreaterThan'] !== undefined) {
    dateGreaterThan = epochTime(condition['DateGreaterThan']);
    if (dateGreaterThan === undefined) return fail('Expected a whole AWS:EpochTime for DateGreaterThan');
  }
  let sourceIp: Cidr | undefined;
  const ip = condition['IpAddress'];
  if (ip !== undefined) {
    const value = isObject(ip) && onlyKeys(ip, ['AWS:SourceIp']) ? ip['AWS:SourceIp'] : undefined;
    sourceIp = typeof value === 'string' ? parseCidr(value) : undefined;
    if (sourceIp === undefined) return fail('Expected an IPv4 or IPv6 CIDR for IpAddress.AWS:SourceIp');
  }
  return { ok: true, value: { resource, dateLessThan, dateGreaterThan, sourceIp } };
}

function epochTime(value: unknown): number | undefined {
  if (!isObject(value) || !onlyKeys(value, ['AWS:EpochTime'])) return undefined;
  const time = value['AWS:EpochTime'];
  return typeof time === 'number' && Number.isSafeInteger(time) && time >= 0 ? time : undefined;
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

// ------------------------------------------------------------------------------------------------
// Resources and wildcards
// ------------------------------------------------------------------------------------------------

/** Whether a policy Resource (with `*` and `?` wildcards anywhere) covers a viewer URL (`scheme://host/path?query`). */
export function matchResource(pattern: string, url: string): boolean {
  return wildcardMatch(pattern, url);
}

/**
 * `*` matches any run (empty included), `?` exactly one character, everything else itself, case
 * sensitively. Linear scan with one backtrack point: O(n*m) at worst, no regular expression built
 * from the pattern.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && (c === 63 /* ? */ || c === text.charCodeAt(t))) {
      p++;
      t++;
    } else if (p < pattern.length && c === 42 /* * */) {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

// ------------------------------------------------------------------------------------------------
// IP addresses and ranges
// ------------------------------------------------------------------------------------------------

export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
}

/** `192.0.2.0/24`, `2001:db8::/32`; a bare address is a single host. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const max = address.family === 4 ? 32 : 128;
  if (slash === -1) return { family: address.family, bytes: address.bytes, prefix: max };
  const mask = text.slice(slash + 1);
  const prefix = decimal(mask);
  if (prefix === undefined || prefix > max) return undefined;
  return { family: address.family, bytes: address.bytes, prefix };
}

/** A decimal of 1 to 3 digits without a leading zero ("0" itself allowed); undefined otherwise. */
function decimal(text: string): number | undefined {
  if (text.length === 0 || text.length > 3 || (text.length > 1 && text.charCodeAt(0) === 48)) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    if (bytes === undefined) return undefined;
    const mapped = bytes.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));
    return mapped ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === undefined ? undefined : { family: 4, bytes };
}

/** Whether `ip` lies in `range`; addresses of different families never match. */
export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (range.bytes[i] !== ip.bytes[i]) return false;
  const bits = range.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((range.bytes[whole] ?? 0) & mask) === ((ip.bytes[whole] ?? 0) & mask);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 /* . */ : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? bytes : undefined;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An IPv4 tail is only allowed at the very end of the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, group] of all.entries()) {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  }
  return bytes;
}
