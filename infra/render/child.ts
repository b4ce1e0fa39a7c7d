/**
 * A render worker process of the pool (infra/render/pool.ts): receives one job at a time over IPC
 * (advanced serialization, so Buffers cross as bytes), runs the engine, answers the image or the
 * error's public fields. The parent kills it when a job exceeds the budget; that is the only way to
 * stop libvips inside a decode.
 */
import { loadEngine, render } from '../../functions/adapters/image/render.ts';
import type { RenderOptions } from '../../functions/adapters/image/render.ts';
import { toEdgeError } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';

interface Job {
  readonly id: number;
  readonly source: Uint8Array;
  readonly variant: Variant;
  readonly options: RenderOptions;
}

process.on('message', (job: Job) => {
  const source = Buffer.from(job.source.buffer, job.source.byteOffset, job.source.byteLength);
  render(source, job.variant, job.options).then(
    (image) => process.send?.({ id: job.id, image }),
    (thrown: unknown) => {
      const e = toEdgeError(thrown);
      process.send?.({ id: job.id, error: { code: e.code, status: e.status, publicMessage: e.publicMessage, detail: e.detail, scope: e.scope } });
    },
  );
});
// sharp is loaded before the worker says it is ready, so a fresh worker's first render is not a cold one.
await loadEngine();
process.send?.({ ready: true });
