// The deployed viewer-request function for private paths: keys and config baked in at build time.
import { createHandler } from './handler.ts';
import { jsonLog } from '../core/log.ts';
import { signedUrlConfig } from '../../infra/config.ts';

export const handler = createHandler(signedUrlConfig(), { log: jsonLog });
