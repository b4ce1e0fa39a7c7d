/**
 * The local edge's inspector: traces carry each function's event and result only while the
 * inspector is open (it polls the trace list), so a hit with the page closed copies nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';

let stack: LocalStack;

// No onTrace of our own (that would ask for every detail): the traces are read as the gallery keeps them.
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: () => {} });
});
afterAll(() => stack?.close());

/** One request for the thumbnail, then its trace by URI (a caption's lookup, which does not open the inspector). */
const thumb = async () => {
  const path = '/128x128/photos/cat.jpg';
  const res = await fetch(`${stack.edge.url}${path}`, { headers: { accept: 'image/webp' } });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  const [trace] = (await (await fetch(`${stack.edge.url}/_local/api/traces?uri=${encodeURIComponent(path)}`)).json()) as RequestTrace[];
  return trace!;
};

it('records each function without its event and result while the inspector is closed', async () => {
  const trace = await thumb();
  expect(trace.functions.map((f) => f.fn)).toContain('image-request');
  expect(trace.functions.length).toBeGreaterThan(0);
  for (const f of trace.functions) expect([f.event, f.result]).toEqual([undefined, undefined]);
});

it('records events and results once the inspector polls, and shows them in its list', async () => {
  expect((await fetch(`${stack.edge.url}/_local/api/traces`)).status).toBe(200);
  const trace = await thumb();
  const viewer = trace.functions.find((f) => f.eventType === 'viewer-request')!;
  // The public behavior's viewer-request is image-request's CloudFront Function: its own event shape.
  expect(viewer).toMatchObject({ runtime: 'cloudfront-function' });
  expect(viewer.event).toMatchObject({ version: '1.0', request: { uri: '/128x128/photos/cat.jpg' } });
  expect(viewer.result).toMatchObject({ uri: '/_derived/photos/cat.jpg/128x128-cover-q75.webp' });
  const listed = (await (await fetch(`${stack.edge.url}/_local/api/traces`)).json()) as RequestTrace[];
  expect(listed[0]!.functions.find((f) => f.eventType === 'viewer-request')?.result).toMatchObject({ uri: '/_derived/photos/cat.jpg/128x128-cover-q75.webp' });
});
