// One request the person started (save, send, join, load a page): while it
// runs its buttons are disabled (`busy`); if it fails, `problem` is what to
// show: the server's refusal as it sent it (its message, and the fields it
// names), or "you are offline" when no answer came. Every page and form uses
// this rather than its own try/catch, so they all fail the same way.
import { ApiError } from './api';
import type { MessageKey } from './i18n';

export class Action {
  /** A run is under way (the latest one: a newer run takes over from an older, unfinished one). */
  busy = $state(false);
  /** What the latest run was about (a member, a session, "block"), for lists where each row has its own buttons. */
  target = $state<string | null>(null);
  /** Why the latest run failed; null while it runs and after it succeeds. */
  problem = $state.raw<ApiError | null>(null);
  private runs = 0;

  /** `words.t('offline')` is what a failure without an answer from the server says. */
  constructor(private readonly words: { t(key: MessageKey): string }) {}

  /**
   * Runs `work`, true when it succeeded. A cancelled request (AbortError) is
   * no failure: whatever cancelled it has taken over.
   */
  async run(work: () => Promise<unknown>, target: string | null = null): Promise<boolean> {
    const run = ++this.runs;
    this.busy = true;
    this.target = target;
    this.problem = null;
    try {
      await work();
      return true;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this.problem = error instanceof ApiError ? error : offline(this.words.t('offline'));
      }
      return false;
    } finally {
      if (run === this.runs) {
        this.busy = false;
      }
    }
  }

  /** The latest run is still going and is about `target`. */
  busyWith(target: string): boolean {
    return this.busy && this.target === target;
  }

  /** The failure's message, or null. */
  get message(): string | null {
    return this.problem?.message ?? null;
  }

  /** The failure's message when it names no field (too many tries, offline): shown above a form rather than at a field. */
  get general(): string | null {
    return this.problem && !this.problem.problem.errors?.length ? this.problem.message : null;
  }

  /** The server's reasons for one field, by its JSON pointer (`/title`). */
  errorsAt(path: string): string[] {
    return this.problem?.errorsAt(path) ?? [];
  }

  /** The same, as one line of text ('' when none). */
  errorText(path: string): string {
    return this.errorsAt(path).join(' ');
  }

  /** Forgets the failure (the form it was about was closed). */
  clear(): void {
    this.problem = null;
  }
}

/** No answer came (offline, server down): a problem of its own, so it shows where the server's would. */
function offline(detail: string): ApiError {
  return new ApiError({ type: 'about:blank', title: 'Offline', status: 0, detail });
}
