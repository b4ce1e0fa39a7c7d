/**
 * A counting semaphore with a bounded, FIFO queue: at most `concurrency` tasks run at once, at most
 * `maxQueued` wait, and none waits longer than `maxWaitMs`. A task refused (queue full, or waited too
 * long) gets a 503 at once: shedding load keeps memory bounded where queueing without limit would
 * hold every request's work in memory, and the viewer may retry.
 */
import { EdgeError } from './errors.ts';

export interface LimitSettings {
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly maxWaitMs: number;
}

export interface LimiterStats {
  readonly active: number;
  readonly queued: number;
  /** The most tasks that ever ran at once, and that ever waited at once. */
  readonly peakActive: number;
  readonly peakQueued: number;
  readonly refused: number;
}

interface Waiter {
  readonly start: () => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class Limiter {
  #active = 0;
  #peakActive = 0;
  #peakQueued = 0;
  #refused = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly settings: LimitSettings,
    private readonly what = 'task',
  ) {
    if (!(Number.isInteger(settings.concurrency) && settings.concurrency >= 1)) {
      throw new Error(`Expected a whole number of at least 1 for concurrency but received ${settings.concurrency}`);
    }
  }

  get stats(): LimiterStats {
    return { active: this.#active, queued: this.#queue.length, peakActive: this.#peakActive, peakQueued: this.#peakQueued, refused: this.#refused };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the first waiter, so no newcomer can slip in between.
    if (this.#active >= this.settings.concurrency) await this.#wait();
    else this.#active++;
    this.#peakActive = Math.max(this.#peakActive, this.#active);
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start();
      else this.#active--;
    }
  }

  #wait(): Promise<void> {
    if (this.#queue.length >= this.settings.maxQueued) {
      this.#refused++;
      return Promise.reject(this.#busy(`${this.#queue.length} ${this.what}s waiting, the limit is ${this.settings.maxQueued}`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const at = this.#queue.indexOf(waiter);
          if (at !== -1) this.#queue.splice(at, 1);
          this.#refused++;
          reject(this.#busy(`waited ${this.settings.maxWaitMs} ms for one of ${this.settings.concurrency} ${this.what} slots`));
        }, this.settings.maxWaitMs),
      };
      this.#queue.push(waiter);
      this.#peakQueued = Math.max(this.#peakQueued, this.#queue.length);
    });
  }

  #busy(detail: string): EdgeError {
    return new EdgeError('Unavailable', 'Too many images are being made right now; try again', { detail });
  }
}

/** Single flight: concurrent calls for one key share the first call's work until it settles. */
export class SingleFlight<T> {
  readonly #pending = new Map<string, Promise<T>>();

  has(key: string): boolean {
    return this.#pending.has(key);
  }

  run(key: string, task: () => Promise<T>): Promise<T> {
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const work = task().finally(() => this.#pending.delete(key));
    this.#pending.set(key, work);
    return work;
  }
}
