/** Engine settings in RESULTS.md: the JPEG encoder, AVIF effort and libvips threads, with what the figures say. */
import type { ReportContext, SectionReport } from '../section.ts';
import type { TuningResult } from '../tuning.ts';
import { fmt, table } from './format.ts';

export const tuningReport: SectionReport<TuningResult> = { body };

/** A second thread "helps" a case when it takes at most this share of the one-thread time. */
const HELPS = 0.9;

function body(t: TuningResult, ctx: ReportContext): string[] {
  const out: string[] = ['## Engine settings (measured in this run, bytes in memory)', '', ...ctx.provenance];
  out.push('JPEG, the og preset (1200x630, q85) from the 12 MP photo; SSIM over 8x8 luma blocks against the unencoded resize:', '');
  out.push(
    table(
      ['setting', 'ms', 'KB', 'SSIM'],
      t.jpeg_og_12mp.map((j) => [j.setting, fmt(j.median_ms), fmt(j.kb), fmt(j.ssim, 4)]),
    ),
    '',
  );
  const engine = t.jpeg_og_12mp.find((j) => j.setting.startsWith('engine:'));
  const mozjpeg = t.jpeg_og_12mp.find((j) => j.setting.startsWith('before:'));
  const progressive = t.jpeg_og_12mp.find((j) => j.setting.startsWith('engine + progressive'));
  if (engine && mozjpeg) {
    out.push(
      `mozjpeg with trellis quantisation and scan optimisation takes ${fmt(mozjpeg.median_ms / engine.median_ms, 1)}x the engine's encode for ${fmt((100 * (mozjpeg.kb - engine.kb)) / engine.kb, 0)}% bytes at SSIM ${fmt(mozjpeg.ssim, 4)} against ${fmt(engine.ssim, 4)}` +
        (progressive
          ? `; progressive scans take ${fmt(progressive.median_ms / engine.median_ms, 2)}x for ${fmt((100 * (progressive.kb - engine.kb)) / engine.kb, 0)}% bytes.`
          : '.') +
        " The engine keeps mozjpeg's quantisation table (3), so a quality number means what it meant before.",
      '',
    );
  }
  out.push('AVIF effort, the card preset (640 wide, q75) from the 12 MP photo:', '');
  out.push(
    table(
      ['setting', 'ms', 'KB'],
      t.avif_card_12mp.map((a) => [a.setting, fmt(a.median_ms), fmt(a.kb)]),
    ),
    '',
  );
  out.push('One libvips thread against two (on the machine of this run, shared with other work):', '');
  out.push(
    table(
      ['case', 'ms'],
      t.threads.map((x) => [x.case, fmt(x.median_ms)]),
    ),
    '',
  );
  const pairs = threadPairs(t);
  if (pairs.length > 0) {
    const helped = pairs.filter((p) => p.ratio <= HELPS);
    const not = pairs.filter((p) => p.ratio > HELPS);
    const list = (xs: typeof pairs) => xs.map((p) => `${p.case} (${fmt(p.ratio, 2)}x the time)`).join(', ');
    out.push(
      `A second thread ${helped.length ? `helps ${list(helped)}` : 'helps no case'}${not.length ? `, and not ${list(not)}` : ''} (helps: at most ${HELPS}x the one-thread time). ` +
        'The engine keeps one: image-resize has 1,536 MB, and Lambda gives one vCPU at 1,769 MB and less below it, so two threads would share under one core there. `configureEngine({ concurrency })` raises it where cores are real.',
      '',
    );
  }
  return out;
}

/** Each case measured with one and two threads: the two-thread time over the one-thread time. */
function threadPairs(t: TuningResult): { case: string; ratio: number }[] {
  const pairs: { case: string; ratio: number }[] = [];
  for (const one of t.threads.filter((x) => x.case.endsWith(', 1 thread'))) {
    const name = one.case.slice(0, -', 1 thread'.length);
    const two = t.threads.find((x) => x.case === `${name}, 2 threads`);
    if (two) pairs.push({ case: name, ratio: two.median_ms / one.median_ms });
  }
  return pairs;
}
