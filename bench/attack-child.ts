/**
 * One attack source through the engine in a process of its own (bench/attacks.ts runs it and kills
 * it at the cap): prints the outcome, the time and the process's peak RSS (VmHWM) as one JSON line.
 *   node attack-child.mjs <source file> <variant JSON>
 */
import { readFileSync } from 'node:fs';
import { render } from '../functions/adapters/image/render.ts';
import { toEdgeError } from '../functions/core/errors.ts';
import type { Variant } from '../functions/core/grammar.ts';
import { images } from '../infra/distribution.ts';

function peakRssKb(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : process.resourceUsage().maxRSS;
}

const [file, variantJson] = process.argv.slice(2);
const source = readFileSync(file ?? '');
const variant = JSON.parse(variantJson ?? '{}') as Variant;
const started = performance.now();
let outcome: string;
try {
  const out = await render(source, variant, { ...images.limits, background: '#ffffff' });
  outcome = `200 ${out.width}x${out.height}`;
} catch (error) {
  const e = toEdgeError(error);
  outcome = `${e.status} ${e.publicMessage} (${e.detail ?? ''})`.slice(0, 200);
}
process.stdout.write(`${JSON.stringify({ outcome, ms: Math.round(performance.now() - started), maxRssKb: peakRssKb() })}\n`);
