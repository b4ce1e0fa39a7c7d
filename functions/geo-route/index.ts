// The deployed origin-request function: the geo table baked in at build time (checked on the way).
import { jsonLog } from '../core/log.ts';
import { geoRouteConfig } from '../../infra/config.ts';
import { createHandler } from './handler.ts';

export const handler = createHandler(geoRouteConfig(), { log: jsonLog });
