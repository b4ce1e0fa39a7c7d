/**
 * What a function bundle gets instead of infra/distribution.ts (bundle.ts redirects every import of
 * it here): the same module, with the build's overrides applied to `distribution`. The overrides are
 * JSON data that the bundler provides as the module `edge-images:build-overrides`.
 */
import overrides from 'edge-images:build-overrides';
import * as source from '../distribution.ts';
import { applyOverrides } from './overrides.ts';

export * from '../distribution.ts';
export const distribution = applyOverrides(source.distribution, overrides);
