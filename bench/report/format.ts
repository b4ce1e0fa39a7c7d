/** Formatting for bench/RESULTS.md: numbers, Markdown tables, dates, and verdicts against targets. */
import type { Target } from '../section.ts';

export const fmt = (n: unknown, digits = 1): string => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '-');
export const int = (n: unknown): string => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const kb = (bytes: unknown): string => (typeof bytes === 'number' ? (bytes / 1024).toFixed(1) : '-');
export const money = (n: unknown): string => (typeof n === 'number' ? `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}` : '-');
export const day = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** A Markdown table: text columns (named in `left`, and the first) left-aligned, figures right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], left: readonly string[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((h, i) => (i === 0 || left.includes(h) ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/** Whether a figure meets its target; undefined when there is no figure. */
function meets(figure: number | null | undefined, target: Target): boolean | undefined {
  if (typeof figure !== 'number' || !Number.isFinite(figure)) return undefined;
  return 'atMost' in target ? figure <= target.atMost : figure >= target.atLeast;
}

/** `met`, `not met`, or `no figure`. */
export function verdict(figure: number | null | undefined, target: Target): string {
  const met = meets(figure, target);
  return met === undefined ? 'no figure' : met ? 'met' : 'not met';
}

/** `<= 1.15` or `>= 0.5`. */
export function targetText(target: Target): string {
  return 'atMost' in target ? `<= ${target.atMost}` : `>= ${target.atLeast}`;
}
