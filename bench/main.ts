/**
 * `npm run bench`: every figure is a ratio against a baseline measured in the same run, because the
 * machines are shared and noisy. Writes bench/results.json and prints a table.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import sharp from 'sharp';
import { benchMissPath } from './miss-path.ts';

const started = Date.now();
const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, sharp: sharp.versions.sharp, vips: sharp.versions.vips },
};

console.log('miss path (image-resize vs floor vs bare sharp)...');
const miss = await benchMissPath();
results['miss_path'] = miss;
console.table(
  miss.map((r) => {
    const row = r as { case: string; miss: { median_ms: number }; floor: { median_ms: number }; bare: { median_ms: number }; miss_vs_floor: number; miss_vs_bare: number };
    return { case: row.case, miss_ms: row.miss.median_ms, floor_ms: row.floor.median_ms, bare_ms: row.bare.median_ms, miss_vs_floor: row.miss_vs_floor, miss_vs_bare: row.miss_vs_bare };
  }),
);

results['seconds'] = Math.round((Date.now() - started) / 1000);
await writeFile('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote bench/results.json in ${results['seconds']} s`);
