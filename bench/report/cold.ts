/** Cold starts in RESULTS.md: node start to the first answer per function package, against bare node. */
import type { ColdStartResult } from '../cold-start.ts';
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import { fmt, kb, table } from './format.ts';

export const coldReport: SectionReport<ColdStartResult> = { headline, body };

function headline(c: ColdStartResult): HeadlineRow[] {
  return c.functions.map((f) => ({
    what: `cold start ${f.function} / bare node`,
    figure: f.vs_bare_node,
    digits: 2,
    detail: `${fmt(f.wall_ms)} ms vs ${fmt(c.bare_node_ms)} ms`,
  }));
}

function body(c: ColdStartResult, ctx: ReportContext): string[] {
  const out = ['## Cold start', '', ...ctx.provenance];
  out.push(
    `A new \`node\` process loads the function's index.js from its unzipped package (built from this tree into bench/tmp/dist) and answers one captured event; the floor is \`node -e ''\` in the same rounds (${fmt(c.bare_node_ms)} ms, median of ${c.runs}). ` +
      (c.sharp_require_ms === undefined
        ? ''
        : `A node process that only requires sharp takes ${fmt(c.sharp_require_ms)} ms (${fmt(c.sharp_require_ms - c.bare_node_ms)} ms over bare node); "(sharp preloaded)" is the same package started with \`node -r sharp\`.`),
    '',
  );
  out.push(
    table(
      ['function', 'event', 'zip KB', 'index.js KB', 'start to first answer ms', 'x bare node', 'in-process load + answer ms'],
      c.functions.map((f) => [
        f.function,
        f.event,
        kb(f.zip_bytes),
        kb(f.bundle_bytes),
        fmt(f.wall_ms),
        fmt(f.vs_bare_node, 2),
        fmt(f.load_and_first_answer_ms),
      ]),
      ['event'],
    ),
    '',
  );
  // The largest bundle against the others: what a start loads beyond the viewer functions.
  const plain = c.functions.filter((f) => !f.function.includes('preloaded'));
  const largest = plain.reduce<(typeof plain)[number] | undefined>((a, f) => (a === undefined || f.bundle_bytes > a.bundle_bytes ? f : a), undefined);
  const others = plain.filter((f) => f !== largest);
  if (largest && others.length > 0) {
    out.push(
      `The largest index.js is ${largest.function}'s, ${kb(largest.bundle_bytes)} KB against ${kb(Math.max(...others.map((f) => f.bundle_bytes)))} KB at most for the others; its start to first answer is ${fmt(largest.wall_ms - Math.min(...others.map((f) => f.wall_ms)))} ms over the fastest of them.`,
      '',
    );
  }
  return out;
}
