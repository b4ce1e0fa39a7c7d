/**
 * The image policy: sizes, widths, qualities and formats viewers may ask for, presets, the quality
 * scale, the mezzanine, and every admission limit with the measurement behind it; and the cache
 * policy of the image behaviors. Part of the distribution (infra/distribution.ts), defined here.
 */
import type { ImagePolicy } from '../functions/core/policy.ts';
import type { CachePolicySpec } from './spec.ts';

/**
 * Keyed on the canonical URI only (the viewer-request function bakes size, quality and format into
 * it), plus Accept-Encoding as CloudFront normalizes it for compression (SVG originals, text pages).
 */
export const imageCachePolicy: CachePolicySpec = {
  defaultTtl: 86_400,
  minTtl: 0,
  maxTtl: 31_536_000,
  headers: [],
  cookies: { behavior: 'none' },
  queryStrings: { behavior: 'none' },
  enableAcceptEncodingGzip: true,
  enableAcceptEncodingBrotli: true,
};

export const images: ImagePolicy = {
  sizes: ['64x64', '128x128', '256x256', '512x512', '1024x1024', '96x96', '192x192', '384x384', '1200x630'],
  widths: [160, 320, 480, 640, 960, 1280, 1920],
  // Four steps: each quality multiplies the derived objects one original admits (`npm run variants`
  // counts them), and steps closer than about 10 are hardly visible at thumbnail sizes. 50 for low
  // data, 75 default, 85 presets, 95 near-lossless.
  qualities: [50, 75, 85, 95],
  formats: ['avif', 'webp', 'jpg', 'png', 'gif'],
  autoFormats: ['avif', 'webp'],
  presets: {
    thumb: { width: 128, height: 128, fit: 'cover' },
    avatar: { width: 64, height: 64, fit: 'cover', quality: 85 },
    card: { width: 640 },
    og: { width: 1200, height: 630, fit: 'cover', format: 'jpg', quality: 85 },
    // App and site icons from small logos: letterboxed, scaled up when the source is smaller.
    icon: { width: 192, height: 192, fit: 'contain', enlarge: true },
    // Shareable views that credit the photographer: JPEG (whose EXIF every tool reads) keeping the
    // EXIF Copyright and nothing else.
    credited: { width: 960, format: 'jpg', quality: 85, keepCopyright: true },
  },
  maxDpr: 3,
  defaults: { fit: 'cover', quality: 75, format: 'auto' },
  // Under transparent pixels in JPEG (and the letterbox of `contain` in JPEG).
  background: '#ffffff',
  // One quality scale across formats, and q=auto (functions/core/quality.ts; docs/quality.md has the
  // table and the reasons). Measured on fixtures/corpus/ by `node infra/build/run.mjs bench/quality.ts
  // --calibrate`: JPEG keeps its own numbers, WebP and AVIF get the setting whose median luma SSIM on
  // the corpus matches JPEG's at each point.
  quality: {
    scale: {
      points: [30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100],
      jpg: [30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100],
      webp: [20, 25, 31, 41, 57, 66, 75, 78, 84, 91, 100],
      avif: [36, 40, 45, 49, 55, 58, 63, 67, 74, 85, 99],
    },
    // Target: the highest (in steps of 0.005) at which, on the corpus, the ideal q=auto (the exact
    // lowest q per image) keeps the median bytes of every format at most 0.7x those of a fixed q75,
    // leaving room for the bounded search's overshoot under the 0.75x the design asks for. JPEG binds
    // (its own q75 has the lowest median SSIM, 0.94). First guess: the plane fitted to the q each image
    // needs against its share of flat 8x8 blocks (variance under 2) and ln(1 + its median block
    // variance), raised by 4; a pass within 0.03 of the target ends the search (`--calibrate` fits the
    // plane and simulates the search on the measured curves). On the corpus, with the JPEG proxy below:
    // 1.4 encodes in the output format per search (1.9 with a first guess from the mean luma step and
    // a slack of 0.02), every format's median bytes at most 0.72x a fixed q75's (docs/quality.md).
    auto: {
      target: 0.925,
      min: 30,
      max: 100,
      maxEncodes: 3,
      estimate: { intercept: 91, flat: -108, detail: -4.8, flatVariance: 2 },
      logErrorPerQ: -0.04,
      slack: 0.03,
      // AVIF's search starts from the q a JPEG search needed (the q each needs agrees within 3.5 on the
      // corpus, standard deviation; WebP's only within 7: it would save 0.2 WebP encodes per search
      // for 1.6 JPEG ones, about what they cost).
      proxied: ['avif'],
      unmeasured: 75,
    },
  },
  // PNG/TIFF originals from a 3,200 px long edge, JPEG from 6,000 px, get one q95 JPEG intermediate
  // under `_derived/<key>/_source`; measured by bench/responsive-set.ts, reasons in
  // functions/core/mezzanine.ts.
  mezzanine: { minSourceEdge: 3200, minJpegEdge: 6000, minEdge: 800, pngEdge: 2048, detailMargin: 1.5, quality: 95 },
  // Measured by bench/image-engine.ts; the reasons are in functions/adapters/image/render.ts.
  limits: {
    // One frame: a 200 MP phone JPEG (16320x12240) resizes in ~0.7 s and ~40 MB thanks to
    // shrink-on-load; a 50000x50000 PNG (2.5 GP) or a 16384x16384 bomb is refused.
    maxInputPixels: 200_000_000,
    // Fetched into memory at the edge: ~0.5-1 s from S3, and it covers 100 MP camera JPEGs.
    maxInputBytes: 64 * 1024 * 1024,
    // Two thirds of image-resize's 1,536 MB, the rest for Node, the SDK, the source and the encoder.
    // Admits a 40 MP AVIF (~760 MB measured) and a 200 MP progressive JPEG (~800 MB estimated);
    // refuses a 60 MP AVIF or a 16-bit interlaced 150 MP PNG, which would crash the function.
    maxDecodeMegabytes: 1024,
    // The admission cost model (functions/core/cost.ts): sources whose cost is in the work per pixel,
    // read before any decode. Figures from bench/attacks.ts.
    cost: {
      // One render, header read included. image-resize: 6 s GetObject + 20 s + 3 s PutObject + 1 s
      // stays inside CloudFront's 30 s origin-response limit (functions/adapters/s3/store.ts); the
      // local edge and the HTTP image origin kill the render's process at this budget.
      renderSeconds: 20,
      // The budget of one render scales with the cost model's estimate of it (estimateRenderMs in
      // functions/core/cost.ts, in one-core milliseconds): 10 times the estimate, at least 5 s, at
      // most renderSeconds. An ordinary miss is estimated at 20-500 ms (a 40 MP AVIF to WebP, the
      // slowest measured, ~2.4 s: its budget is the full 20 s); measured renders came within 1-3x of
      // their estimates on the loaded bench machine. A source the model misjudges (the SVG of 19,000
      // full-canvas shapes the attacks section keeps, estimated at 25 ms, ran 12 s at 512 px) is
      // killed at 5 s: in Lambda that is what one such miss bills, not the 30 s function timeout.
      minRenderSeconds: 5,
      estimateMargin: 10,
      // An animation is decoded, resized and encoded frame by frame; 800 frames of 1x1 on a 500x500
      // canvas took ~1 s as a 128x128 GIF, 200 frames of 1000x1000 took 20 s as WebP. Real GIFs and
      // animated WebPs rarely exceed a few hundred frames.
      maxFrames: 300,
      // Pixels over all frames written animated: ~10 MP/s through decode + resize + encode here
      // (200 MP in 20 s), so 40 MP keeps an animation near 4 s, inside the 20 s render timeout.
      maxAnimatedPixels: 40_000_000,
      // Each scan of a progressive JPEG is a pass over every coefficient; encoders write 10 (libjpeg)
      // to ~20 (mozjpeg tuned); a 900-scan 12,000 px JPEG ran past the 30 s origin timeout.
      maxJpegScans: 100,
      svg: {
        // librsvg parses the whole document to give its size: 25 MB and 900,000 elements took 8 s
        // and 1.5 GB just for the header; 2 MiB holds any icon, chart or illustration we serve.
        maxBytes: 2 * 1024 * 1024,
        maxElements: 20_000,
        // After every <use> is expanded: a 2 KB fan-out of 10^5 blurred shapes ran past 20 s.
        maxRenderedElements: 50_000,
        maxFilterPrimitives: 50,
        // Each filtered drawing blurs or convolves its pixels: the costly part of a fan-out.
        maxFilteredRenders: 100,
        // Filter work: per filtered drawing (<use> expanded), its primitives' weights (a blur 1, a
        // morphology 12, a turbulence 1 per octave: FILTER_WEIGHTS in functions/core/cost.ts) times
        // the share of the canvas its region covers. 50 blurs, morphologies or 8-octave turbulences
        // drawn 100 times over the canvas (3-5 KB, bench/attacks.ts) are 5,000, 60,000 and 40,000 and
        // ran past 120 s; a chart of 40 shadowed bars is 1.1. 100 canvas-sized blurs took ~2 s at 256 px.
        maxFilterWork: 100,
        // The filter work over the pixels it is drawn on: work x pixels x max(1, pixels / 1 MP).
        // librsvg took 20-300 ns per unit here (blur the slowest: 4 blurs x 10 drawings at 1024 px,
        // 9.8 s; one at 2048 px, 6.5 s), so 20 M is about 6 s at worst, inside renderSeconds. A
        // drop-shadowed logo passes at 1920x1080; 40 shadowed bars pass at any allowed size.
        maxFilterPixels: 20_000_000,
        // librsvg recurses per nesting level.
        maxDepth: 64,
        // data: URIs are decoded by librsvg's own image loaders, outside our header checks.
        maxEmbeddedBytes: 1024 * 1024,
      },
    },
  },
};
