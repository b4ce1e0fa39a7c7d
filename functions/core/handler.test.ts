import { describe, expect, it } from 'vitest';
import { EdgeError } from './errors.ts';
import { wrapHandler } from './handler.ts';
import type { LogLine } from './log.ts';

type Event = { readonly id: string; readonly path: string; readonly fail?: unknown };

function wrapped(lines: LogLine[]) {
  return wrapHandler<'done' | 'refused' | 'failed', Event, string>({
    fn: 'image-request',
    log: (line) => lines.push(line),
    identify: (event) => ({ requestId: event.id, uri: event.path }),
    run: async (event, _context, invocation) => {
      if (event.fail !== undefined) throw event.fail;
      return { result: `ok ${invocation.requestId}`, report: { outcome: 'done', to: '/x' } };
    },
    fail: { outcome: 'failed', answer: (error) => `error ${error.status}` },
  });
}

describe('the one handler wrapper', () => {
  it('answers what the handler returns and writes one info line with its fields', async () => {
    const lines: LogLine[] = [];
    expect(await wrapped(lines)({ id: 'r1', path: '/a.jpg' })).toBe('ok r1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ fn: 'image-request', level: 'info', requestId: 'r1', uri: '/a.jpg', outcome: 'done', to: '/x' });
    expect(lines[0]!.ms).toBeGreaterThanOrEqual(0);
  });

  it('turns a refusal into the error answer, logged as a warning with its internal detail', async () => {
    const lines: LogLine[] = [];
    const refusal = new EdgeError('BadRequest', 'Expected a size for w but received "x"', { detail: 'w=x' });
    expect(await wrapped(lines)({ id: 'r2', path: '/b.jpg', fail: refusal })).toBe('error 400');
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', outcome: 'failed', status: 400, detail: 'w=x', requestId: 'r2' })]);
  });

  it('turns anything else thrown into a 500, logged as an error, never showing the cause to the viewer', async () => {
    const lines: LogLine[] = [];
    expect(await wrapped(lines)({ id: 'r3', path: '/c.jpg', fail: new TypeError('secret bucket name') })).toBe('error 500');
    expect(lines).toEqual([expect.objectContaining({ level: 'error', outcome: 'failed', status: 500, detail: 'TypeError: secret bucket name' })]);
  });

  it('lets a handler name its own level, and rethrow for an event source that retries', async () => {
    const lines: LogLine[] = [];
    const handler = wrapHandler<'kept' | 'error', Event, string>({
      fn: 'derived-cleanup',
      log: (line) => lines.push(line),
      identify: (event) => ({ requestId: event.id, uri: event.path }),
      run: (event) => {
        if (event.fail !== undefined) throw event.fail;
        return { result: 'kept', report: { outcome: 'kept', level: 'warn' } };
      },
      fail: {
        outcome: 'error',
        fields: () => ({ records: 1 }),
        answer: (_error, _event, thrown) => {
          throw thrown;
        },
      },
    });
    expect(await handler({ id: 'r4', path: 's3://b/k' })).toBe('kept');
    const cause = new Error('Throttling: Rate exceeded');
    await expect(handler({ id: 'r5', path: 's3://b/k', fail: cause })).rejects.toBe(cause);
    expect(lines.map((l) => [l.level, l.outcome, l['records']])).toEqual([
      ['warn', 'kept', undefined],
      ['error', 'error', 1],
    ]);
  });
});
