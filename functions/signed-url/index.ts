// The deployed viewer-request function for private paths: keys and configuration baked in at build
// time (the generated module below: see functions/baked-config.d.ts).
import config from 'edge-images:config/signed-url';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

export const handler = createHandler(config, { log: jsonLog });
