// The deployed viewer-request function: config baked in at build time, real dependencies.
import { createHandler } from './handler.ts';
import { jsonLog } from '../core/log.ts';
import { imageRequestConfig } from '../../infra/config.ts';

export const handler = createHandler(imageRequestConfig(), { log: jsonLog });
