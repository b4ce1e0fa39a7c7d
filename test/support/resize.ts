/** image-resize as the tests build it: the deployed config and the real engine, each render counted. */
import { render } from '../../functions/adapters/image/render.ts';
import type { ObjectStore } from '../../functions/adapters/s3/store.ts';
import type { Log } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { originResponseEvent } from '../../infra/local/cloudfront-events.ts';
import type { CloudFrontResponseEvent } from 'aws-lambda';

export function countingResizeHandler(store: ObjectStore, onRender: () => void, log: Log) {
  return createHandler(imageResizeConfig(), {
    store,
    render: (...args) => {
      onRender();
      return render(...args);
    },
    log,
  });
}

/** An origin-response 404 from the S3 origin `domainName` for a derived URI: a miss, as CloudFront sends it. */
export function missEvent(uri: string, domainName: string): CloudFrontResponseEvent {
  return originResponseEvent({
    clientIp: '203.0.113.7',
    uri,
    requestId: 'test',
    origin: { s3: { domainName, region: 'us-east-1', path: '', authMethod: 'origin-access-identity', customHeaders: {} } },
    response: { status: '404', statusDescription: 'Not Found', headers: {} },
  });
}
