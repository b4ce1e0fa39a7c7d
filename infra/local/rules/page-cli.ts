/**
 * `npm run conformance`: writes docs/local-edge-conformance.md from the rules table.
 * `npm run conformance -- --check`: exits 1 when the committed page differs from the table.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CONFORMANCE_PAGE, renderConformancePage } from './page.ts';
import { RULES } from './table.ts';

const page = renderConformancePage(RULES);
if (process.argv.includes('--check')) {
  const committed = await readFile(CONFORMANCE_PAGE, 'utf8').catch(() => '');
  if (committed !== page) {
    console.error(`${CONFORMANCE_PAGE} is out of date: run npm run conformance`);
    process.exit(1);
  }
  console.log(`${CONFORMANCE_PAGE} matches the table (${RULES.length} rules)`);
} else {
  await writeFile(CONFORMANCE_PAGE, page);
  console.log(`wrote ${CONFORMANCE_PAGE} (${RULES.length} rules)`);
}
