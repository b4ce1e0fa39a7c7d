// The deployed viewer-request function: its configuration baked in at build time (the generated
// module below: see functions/baked-config.d.ts), real dependencies.
import config from 'edge-images:config/image-request';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

export const handler = createHandler(config, { log: jsonLog });
