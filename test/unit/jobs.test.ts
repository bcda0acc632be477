// The scheduler every timer of the server goes through (server/plugins/jobs.ts),
// on Vitest's fake timers: the clock is the one outside thing mocked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Jobs } from '../../server/plugins/jobs';

function logger() {
  const errors: { job: string }[] = [];
  return { errors, log: { error: (obj: object) => errors.push(obj as { job: string }) } };
}

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

describe('jobs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a job every period and never twice at once', async () => {
    const { log } = logger();
    const jobs = new Jobs(log);
    let started = 0;
    const slow = gate();
    jobs.every('slow', 1000, async () => {
      started += 1;
      await slow.done;
    });
    await vi.advanceTimersByTimeAsync(3500);
    // Ticks at 1, 2 and 3 s: the first run is still going, so the next two are skipped.
    expect(started).toBe(1);
    slow.open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toBe(2);
    await jobs.stop();
  });

  it('logs a failure with the job name and runs again at the next tick', async () => {
    const { log, errors } = logger();
    const jobs = new Jobs(log);
    let runs = 0;
    jobs.every('flaky', 1000, () => {
      runs += 1;
      if (runs === 1) {
        throw new Error('database away');
      }
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(2);
    expect(errors.map((e) => e.job)).toEqual(['flaky']);
    await jobs.stop();
  });

  it('a cancelled job stops; stop() ends every timer and waits for the runs in flight', async () => {
    const { log } = logger();
    const jobs = new Jobs(log);
    let a = 0;
    const cancel = jobs.every('a', 1000, () => (a += 1));
    const inFlight = gate();
    let finished = false;
    jobs.every('b', 1000, async () => {
      await inFlight.done;
      finished = true;
    });
    expect(jobs.names).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(1000);
    cancel();
    expect(jobs.names).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(a).toBe(1);

    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    inFlight.open();
    await stopping;
    expect(finished).toBe(true);
    expect(jobs.names).toEqual([]);
  });
});
