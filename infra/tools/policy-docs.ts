/**
 * Values the docs restate from the policy, generated from it. A page marks each one as
 * `<!-- policy:NAME -->value<!-- /policy -->`; `npm run docs:policy` rewrites every marked value from
 * infra/distribution.ts and functions/core/errors.ts, and a test fails while any page disagrees.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EdgeError } from '../../functions/core/errors.ts';
import type { ErrorCode } from '../../functions/core/errors.ts';
import { imageCachePolicy, images, tunables } from '../distribution.ts';

const ROOT = path.resolve(import.meta.dirname ?? '.', '..', '..');
const code = (values: readonly (string | number)[]) => values.map((v) => `\`${v}\``).join(', ');
const thousands = (n: number) => n.toLocaleString('en-US');
const megapixels = (pixels: number) => `${thousands(pixels / 1_000_000)} MP`;
const mebibytes = (bytes: number) => `${thousands(bytes / (1024 * 1024))} MiB`;
const errorMaxAge = (code: ErrorCode) => {
  const seconds = new EdgeError(code, '').cacheSeconds;
  return seconds > 0 ? `max-age=${seconds}` : 'no-store';
};
const cost = images.limits.cost;

/** Each restated value, by the name its marker carries. */
export const POLICY_FACTS: Readonly<Record<string, () => string>> = {
  sizes: () => code(images.sizes),
  widths: () => code(images.widths),
  qualities: () => code(images.qualities),
  formats: () => code(images.formats),
  presets: () => code(Object.keys(images.presets)),
  'default-quality': () => code([images.defaults.quality]),
  'max-dpr': () => `\`1\` to \`${images.maxDpr}\``,
  'max-input-bytes': () => mebibytes(images.limits.maxInputBytes),
  'max-input-pixels': () => megapixels(images.limits.maxInputPixels),
  'max-decode-megabytes': () => `${thousands(images.limits.maxDecodeMegabytes ?? 0)} MB`,
  'max-frames': () => thousands(cost?.maxFrames ?? 0),
  'max-animated-pixels': () => megapixels(cost?.maxAnimatedPixels ?? 0),
  'max-jpeg-scans': () => thousands(cost?.maxJpegScans ?? 0),
  'render-seconds': () => `${cost?.renderSeconds ?? 0} s`,
  'cache-ttls': () => `min ${imageCachePolicy.minTtl}, default ${imageCachePolicy.defaultTtl}, max ${imageCachePolicy.maxTtl}`,
  'derived-cache-control': () => `\`${tunables.derivedCacheControl}\``,
  'not-found-max-age': () => `\`${errorMaxAge('NotFound')}\``,
  'refusal-max-age': () => `\`${errorMaxAge('SourceTooLarge')}\``,
  'bad-request-max-age': () => `\`${errorMaxAge('BadRequest')}\``,
};

const MARKER = /<!-- policy:([\w-]+) -->([\s\S]*?)<!-- \/policy -->/g;

export interface PolicyMarker {
  readonly file: string;
  readonly name: string;
  readonly written: string;
  readonly expected: string | undefined;
}

/** The pages that may restate policy values: README.md and docs/*.md. */
export function policyPages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

export function markersIn(file: string, text: string): PolicyMarker[] {
  return [...text.matchAll(MARKER)].map((m) => ({ file, name: m[1]!, written: m[2]!, expected: POLICY_FACTS[m[1]!]?.() }));
}

/** `text` with every marked value written from the policy. */
export function rewrite(text: string): string {
  return text.replace(MARKER, (whole, name: string) => {
    const fact = POLICY_FACTS[name];
    return fact ? `<!-- policy:${name} -->${fact()}<!-- /policy -->` : whole;
  });
}

if (process.argv[1] && /policy-docs/.test(process.argv[1])) {
  for (const file of policyPages()) {
    const full = path.join(ROOT, file);
    const text = readFileSync(full, 'utf8');
    const next = rewrite(text);
    if (next !== text) {
      writeFileSync(full, next);
      console.log(`policy values rewritten in ${file}`);
    }
  }
}
