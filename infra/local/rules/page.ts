/**
 * The conformance page (docs/local-edge-conformance.md), rendered from the rules table. Generated:
 * edit infra/local/rules/table.ts and run `npm run conformance`; a test fails when the committed page
 * differs from what the table renders.
 */
import type { Area, Rule } from './table.ts';

export const CONFORMANCE_PAGE = 'docs/local-edge-conformance.md';

const AREAS: readonly { area: Area; title: string }[] = [
  { area: 'request', title: 'The request as it arrives' },
  { area: 'forwarding', title: 'What reaches the origin (and origin-event functions)' },
  { area: 'cache', title: 'The cache' },
  { area: 'compression', title: 'Compression' },
  { area: 'response', title: 'The response headers policy' },
  { area: 'functions', title: 'Lambda@Edge results' },
  { area: 'quotas', title: 'Quotas (`--quotas strict|current`)' },
];

/** Markdown table cells: no raw pipes or line breaks. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderConformancePage(rules: readonly Rule[]): string {
  const lines: string[] = [
    '<!-- Generated from infra/local/rules/table.ts by `npm run conformance`: edit the table, not this page. -->',
    '# Local edge conformance',
    '',
    'Every CloudFront and Lambda@Edge rule the local edge (`npm start`) implements, with the AWS page it',
    'comes from, what the local edge does, the choice made where AWS is silent, and the test that proves',
    `it: a test whose title carries the rule's id in brackets (\`[${rules[0]?.id ?? 'id'}]\`) in the named file. ${rules.length} rules;`,
    `${rules.filter((r) => r.silent).length} of them include a choice where AWS's documentation is silent.`,
    '',
    'The local edge is meant to be exactly as strict as CloudFront: a looser rule lets a function pass',
    'here and fail in AWS, a stricter one refuses what AWS accepts. See [the local edge](local-edge.md).',
    '',
  ];
  for (const { area, title } of AREAS) {
    const rows = rules.filter((r) => r.area === area);
    if (rows.length === 0) continue;
    lines.push(`## ${title}`, '');
    const quotas = rows.some((r) => r.quota);
    lines.push(
      quotas
        ? '| id | rule (AWS) | strict (default) | current | local edge | AWS silent: choice | test |'
        : '| id | rule (AWS) | local edge | AWS silent: choice | test |',
    );
    lines.push(quotas ? '|---|---|---|---|---|---|---|' : '|---|---|---|---|---|');
    for (const r of rows) {
      const ruleCell = `${cell(r.rule)} ([AWS](${r.source}))`;
      const quotaCells = quotas ? [cell(r.quota?.strict ?? ''), cell(r.quota?.current ?? '')] : [];
      lines.push(`| \`${r.id}\` | ${[ruleCell, ...quotaCells, cell(r.local), cell(r.silent ?? ''), `\`${r.test}\``].join(' | ')} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
