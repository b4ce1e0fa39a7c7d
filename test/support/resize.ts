/** image-resize as the tests build it: the deployed config and the real engine, each render counted. */
import { render } from '../../functions/adapters/image/render.ts';
import type { ObjectStore } from '../../functions/adapters/s3/store.ts';
import type { Log } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';

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
