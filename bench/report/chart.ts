/** bench/miss-path.svg: miss-path time against source megapixels, one line per output format. */
import type { MissRow } from '../miss-path.ts';

const COLOURS: Record<string, string> = { avif: '#1f77b4', webp: '#2ca02c', jpg: '#d62728', png: '#9467bd', gif: '#ff7f0e' };

/** Miss-path time against source megapixels, one line per output format (128x128, JPEG sources). */
export function renderChart(cases: readonly MissRow[]): string {
  const W = 760;
  const H = 440;
  const left = 64;
  const right = 190;
  const top = 40;
  const bottom = 56;
  const thumbs = cases.filter((c) => c.variant.startsWith('128x128-cover-q75.'));
  const jpeg = thumbs.filter((c) => c.source_format === 'jpeg');
  const others = thumbs.filter((c) => c.source_format === 'png' || c.source_format === 'webp');
  const xs = [...new Set(jpeg.map((c) => c.source_mp))].sort((a, b) => a - b);
  const maxY = Math.max(10, ...jpeg.flatMap((c) => [c.miss.median_ms, c.floor.median_ms]), ...others.map((c) => c.miss.median_ms));
  const yTop = niceCeil(maxY * 1.05);
  const xMin = Math.log10(0.7);
  const xMax = Math.log10(60);
  const px = (mp: number) => left + ((Math.log10(mp) - xMin) / (xMax - xMin)) * (W - left - right);
  const py = (ms: number) => top + (1 - ms / yTop) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${left}" y="22" font-size="14" font-weight="600">Miss path: 128x128 thumbnail, median ms against source megapixels</text>`);
  // Axes and grid.
  for (let i = 0; i <= 5; i++) {
    const v = (yTop / 5) * i;
    const y = py(v);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#555">${Math.round(v)}</text>`);
  }
  for (const mp of [1, 2, 5, 10, 12, 20, 40]) {
    const x = px(mp);
    const labelled = [1, 12, 40].includes(mp);
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${H - bottom}" stroke="${labelled ? '#d0d0d0' : '#f0f0f0'}"/>`);
    if (labelled) parts.push(`<text x="${x.toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" fill="#555">${mp} MP</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 14}" text-anchor="middle" fill="#333">source megapixels (log scale)</text>`);
  parts.push(`<text transform="translate(18 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">ms (median)</text>`);
  // Lines: miss solid, floor dashed, per output format.
  for (const format of Object.keys(COLOURS)) {
    const colour = COLOURS[format]!;
    const series = xs.map((mp) => jpeg.find((c) => c.source_mp === mp && c.output_format === format)).filter((c): c is MissRow => c !== undefined);
    if (series.length === 0) continue;
    const path = (f: (c: MissRow) => number) => series.map((c, i) => `${i === 0 ? 'M' : 'L'}${px(c.source_mp).toFixed(1)},${py(f(c)).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path((c) => c.floor.median_ms)}" fill="none" stroke="${colour}" stroke-width="1.2" stroke-dasharray="5 4" opacity="0.6"/>`);
    parts.push(`<path d="${path((c) => c.miss.median_ms)}" fill="none" stroke="${colour}" stroke-width="2.2"/>`);
    for (const c of series)
      parts.push(
        `<circle cx="${px(c.source_mp).toFixed(1)}" cy="${py(c.miss.median_ms).toFixed(1)}" r="3.5" fill="${colour}"><title>${escapeXml(c.case)}: ${c.miss.median_ms} ms (floor ${c.floor.median_ms} ms)</title></circle>`,
      );
  }
  // Other source formats at their megapixels: squares (PNG) and triangles (WebP).
  for (const c of others) {
    const colour = COLOURS[c.output_format] ?? '#000';
    const x = px(c.source_mp) + (c.source_format === 'png' ? 7 : -7);
    const y = py(c.miss.median_ms);
    const shape =
      c.source_format === 'png'
        ? `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" fill="none" stroke="${colour}" stroke-width="1.8">`
        : `<path d="M${x.toFixed(1)},${(y - 5).toFixed(1)} L${(x + 5).toFixed(1)},${(y + 4).toFixed(1)} L${(x - 5).toFixed(1)},${(y + 4).toFixed(1)} Z" fill="none" stroke="${colour}" stroke-width="1.8">`;
    parts.push(`${shape}<title>${escapeXml(c.case)}: ${c.miss.median_ms} ms</title>${c.source_format === 'png' ? '</rect>' : '</path>'}`);
  }
  // Legend.
  let ly = top + 4;
  const lx = W - right + 20;
  parts.push(`<text x="${lx}" y="${ly}" font-weight="600">output format</text>`);
  for (const [format, colour] of Object.entries(COLOURS)) {
    ly += 18;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2.2"/><text x="${lx + 30}" y="${ly}">${format}</text>`,
    );
  }
  ly += 28;
  parts.push(
    `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="#333" stroke-width="2.2"/><text x="${lx + 30}" y="${ly}">miss (JPEG sources)</text>`,
  );
  ly += 18;
  parts.push(
    `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="#333" stroke-width="1.2" stroke-dasharray="5 4"/><text x="${lx + 30}" y="${ly}">floor (JPEG sources)</text>`,
  );
  ly += 18;
  parts.push(
    `<rect x="${lx + 7}" y="${ly - 9}" width="8" height="8" fill="none" stroke="#333" stroke-width="1.8"/><text x="${lx + 30}" y="${ly}">miss, PNG source</text>`,
  );
  ly += 18;
  parts.push(
    `<path d="M${lx + 11},${ly - 10} L${lx + 16},${ly - 1} L${lx + 6},${ly - 1} Z" fill="none" stroke="#333" stroke-width="1.8"/><text x="${lx + 30}" y="${ly}">miss, WebP source</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.codePointAt(0)};`);
}
