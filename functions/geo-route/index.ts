// The deployed origin-request function: the geo table baked in at build time, checked on the way
// (the generated module below: see functions/baked-config.d.ts).
import config from 'edge-images:config/geo-route';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

export const handler = createHandler(config, { log: jsonLog });
