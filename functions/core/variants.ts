/**
 * How many derived objects one original admits: every canonical variant name the grammar accepts
 * under a policy (sizes and widths after dpr, fits, cover positions, qualities and `auto`, formats, and the
 * presets' enlarge / copyright variants). Used by `npm run variants` and the docs; pure.
 */
import { resolveVariant, derivedUri } from './grammar.ts';
import type { Variant } from './grammar.ts';
import { FITS, POSITIONS } from './policy.ts';
import type { ImagePolicy } from './policy.ts';

export function admittedVariants(policy: ImagePolicy): Variant[] {
  const names = new Map<string, Variant>();
  const add = (variant: Variant) => names.set(derivedUri('k', variant), variant);
  // Every allowed quality, and `auto` (searched per image).
  for (const quality of [...policy.qualities, 'auto' as const]) {
    for (const format of policy.formats) {
      for (const size of policy.sizes) {
        const [width, height] = size.split('x').map(Number) as [number, number];
        for (const fit of FITS) {
          for (const position of fit === 'cover' ? POSITIONS : (['centre'] as const))
            add(resolveVariant({ width, height, fit, quality, format, position }, 1, policy));
        }
      }
      for (const width of policy.widths) add(resolveVariant({ width, height: undefined, fit: 'inside', quality, format }, 1, policy));
      // Presets that carry enlarge or copyright name variants the query form cannot: at every dpr that lands on the allowlist.
      for (const preset of Object.values(policy.presets)) {
        if (!preset.enlarge && !preset.keepCopyright) continue;
        if (preset.format !== undefined && preset.format !== 'auto' && preset.format !== format) continue;
        for (let hundredths = 100; hundredths <= policy.maxDpr * 100; hundredths++) {
          try {
            add(
              resolveVariant(
                {
                  width: preset.width,
                  height: preset.height,
                  fit: preset.fit ?? policy.defaults.fit,
                  position: preset.position,
                  quality,
                  format,
                  enlarge: preset.enlarge,
                  keepCopyright: preset.keepCopyright,
                },
                hundredths / 100,
                policy,
              ),
            );
          } catch {
            // That dpr does not land on an allowed size.
          }
        }
      }
    }
  }
  return [...names.values()];
}
