/**
 * What a bench section is: a name for `--only`, a key in results.json, how it runs at each size
 * (full, --quick, --smoke), the figures a run must produce, and how the report shows it. A section
 * joins the bench with one entry in bench/sections.ts.
 */
import type { Source } from './sources.ts';

/** full: `npm run bench`; quick: `--quick`; smoke: one case, one round (`--smoke`, run by `npm test`). */
export type BenchMode = 'full' | 'quick' | 'smoke';

interface SectionContext {
  readonly mode: BenchMode;
  readonly sources: readonly Source[];
  /** `--filter`: only cases whose name contains this (sections with named cases). */
  readonly filter?: string | undefined;
  /** A progress line for the terminal. */
  readonly progress: (line: string) => void;
  /** Another section's figures, from this run or else the last one. */
  readonly resultOf: <R>(section: BenchSection<R>) => R | undefined;
}

/** The figures the smoke test checks: each must be a finite number. */
type Figures = Readonly<Record<string, number | null | undefined>>;

/** A line of "Where we stand": a figure, and its target when it has one; the verdict is computed. */
export interface HeadlineRow {
  readonly what: string;
  readonly figure: number | null | undefined;
  /** How the figure is shown: digits after the point, and a unit. */
  readonly digits?: number;
  readonly unit?: string;
  readonly target?: Target;
  readonly detail?: string;
}

export type Target = { readonly atMost: number } | { readonly atLeast: number };

export interface SectionReport<R> {
  /** Rows for the summary table at the top of RESULTS.md. */
  readonly headline?: (result: R, ctx: ReportContext) => HeadlineRow[];
  /** The section's own part of RESULTS.md, Markdown lines. */
  readonly body: (result: R, ctx: ReportContext) => string[];
}

export interface ReportContext {
  readonly resultOf: <R>(section: BenchSection<R>) => R | undefined;
  /** The lines under this section's title: which run produced it. */
  readonly provenance: readonly string[];
}

export interface BenchSection<R> {
  /** The `--only` name. */
  readonly name: string;
  /** Its key in results.json. */
  readonly key: string;
  readonly title: string;
  /** Starts a process per case: left out of --quick unless named with --only. */
  readonly processPerCase?: boolean;
  /** Computed from other sections' figures (no measurement of its own): it runs whenever they exist. */
  readonly derived?: boolean;
  run(ctx: SectionContext): Promise<R | undefined>;
  figures(result: R): Figures;
  readonly report: SectionReport<R>;
}

/** Lets a list hold sections of different result types. */
export function defineSection<R>(section: BenchSection<R>): BenchSection<unknown> {
  return section as BenchSection<unknown>;
}
