/** docs/quality.md shows the quality scale and the q=auto settings that infra/distribution.ts holds. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { scaleTable } from '../../functions/core/quality.ts';
import { images } from '../../infra/distribution.ts';

describe('docs/quality.md', () => {
  it('has the policy scale table and target, as the policy holds them', async () => {
    const page = await readFile('docs/quality.md', 'utf8');
    const settings = images.quality!;
    expect(page).toContain(scaleTable(settings.scale));
    expect(page).toContain(`target SSIM **${settings.auto.target}**`);
    for (const q of images.qualities) expect(settings.scale.points).toContain(q);
    const { estimate, slack, proxied } = settings.auto;
    const term = (v: number, name: string) => `${v < 0 ? '-' : '+'} ${Math.abs(v)} ${name}`;
    expect(page).toContain(`\`q = ${estimate.intercept} ${term(estimate.flat, 'flat')} ${term(estimate.detail, 'detail')}\``);
    expect(page).toContain(`variance under ${estimate.flatVariance}`);
    expect(page).toContain(`\`slack\` (${slack})`);
    expect(proxied).toEqual(['avif']);
    expect(page).toContain('AVIF (`auto.proxied`)');
  });
});
