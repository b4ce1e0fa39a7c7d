/**
 * sharp itself, loaded once per process on first use and configured: libvips' operation cache off
 * (every miss is a different image, a cache only holds memory) and one libvips worker thread per
 * image (sharp's own default on glibc without jemalloc, and what a Lambda below 1,769 MB has CPU
 * for: a second thread measured no faster there, see bench/RESULTS.md). `configureEngine` changes
 * both, once per process.
 *
 * sharp (libvips, ~20 MB of native code, ~45 ms to load) is loaded on the first render or inspect,
 * not when this module is imported: image-resize answers the 200 pass-through of a derived image
 * that S3 already has without ever loading it, so a new instance starts that much faster.
 */
export interface EngineSettings {
  /** libvips worker threads per image. Default 1. */
  readonly concurrency?: number;
  /** libvips operation cache. Default off. */
  readonly cache?: false | { readonly memory: number; readonly files: number; readonly items: number };
}

export type SharpModule = typeof import('sharp').default;

let settingsInForce: EngineSettings = {};
let loaded: SharpModule | undefined;
let loading: Promise<SharpModule> | undefined;

function apply(sharp: SharpModule, settings: EngineSettings): void {
  sharp.concurrency(settings.concurrency ?? 1);
  sharp.cache(settings.cache ?? false);
}

/** Process-wide sharp settings, applied now if sharp is loaded, else as it loads (on first use). */
export function configureEngine(settings: EngineSettings = {}): void {
  settingsInForce = settings;
  if (loaded) apply(loaded, settings);
}

/** sharp, loaded once and configured, on first use. */
export function loadEngine(): Promise<SharpModule> {
  loading ??= import('sharp').then((module) => {
    const sharp = module.default;
    apply(sharp, settingsInForce);
    loaded = sharp;
    return sharp;
  });
  return loading;
}
