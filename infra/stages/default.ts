/**
 * The repository's default stage: what every stage without its own file (infra/stages/<stage>.ts)
 * deploys. It keeps distribution.ts's product defaults, which name placeholder hosts
 * (origin.images.example.com) and trust the TEST-ONLY keys of fixtures/keys: good for `sst dev` on
 * a personal stage (buckets only, no CDN), refused by `npm run preflight` for a real deployment.
 * Copy infra/stages/sample.ts to infra/stages/<your stage>.ts and fill it in instead.
 */
import { defineStage } from './schema.ts';

export default defineStage({});
