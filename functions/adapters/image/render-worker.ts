/**
 * The render process's entry point (render-process.ts forks it; image-resize's zip holds it as
 * render-worker.js beside index.js). It loads sharp, says it is ready, then runs one job at a time:
 * reads the header, plans the render and sends its estimate (the parent sets the budget from it),
 * then renders and sends the image or the error. The parent kills it when a job overruns.
 */
import { planMezzanineJob, renderMezzanineJob } from './mezzanine.ts';
import { loadEngine } from './engine.ts';
import { inspect } from './inspect.ts';
import { planRender, renderPlanned } from './render.ts';
import { asBuffer, sendableError } from './render-process.ts';
import type { JobRequest, WorkerMessage } from './render-process.ts';

// A message the parent can no longer receive (it has gone) is dropped; the process then exits.
const send = (message: WorkerMessage) => {
  if (process.connected) process.send?.(message, undefined, {}, () => {});
};
process.on('disconnect', () => process.exit(0));

async function run(job: JobRequest): Promise<void> {
  const source = asBuffer(job.source);
  const header = await inspect(source, job.options);
  if (job.op === 'render') {
    const plan = planRender(header, job.variant, job.options);
    send({ id: job.id, estimateMs: plan.estimateMs });
    send({ id: job.id, rendered: await renderPlanned(source, header, plan, job.variant, job.options) });
    return;
  }
  const plan = planMezzanineJob(header, job.variant, job.settings, job.options);
  send({ id: job.id, estimateMs: plan.estimateMs });
  send({ id: job.id, made: await renderMezzanineJob(source, header, plan, job.variant, job.settings, job.options) });
}

process.on('message', (job: JobRequest) => {
  run(job).catch((thrown: unknown) => send({ id: job.id, error: sendableError(thrown) }));
});
// sharp is loaded before the worker says it is ready, so a fresh worker's first render is not a cold one.
loadEngine().then(
  () => send({ ready: true }),
  (error: unknown) => {
    console.error('render worker: sharp failed to load:', error);
    process.exit(1);
  },
);
