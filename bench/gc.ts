/**
 * A full garbage collection, run between timed runs (untimed), so no run pays for the garbage of the
 * one before (a large decode leaves tens of MB for whichever later run triggers the collection).
 * `--expose-gc` cannot be passed through `npm run bench`, so the flag is set at run time and `gc`
 * taken from a fresh context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => {};
})();
