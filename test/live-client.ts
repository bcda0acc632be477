// A real WebSocket client for tests: collects frames, waits for the ones asked for.
import WebSocket from 'ws';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>;

export class TestSocket {
  readonly frames: Frame[] = [];
  private taken = 0;
  private listeners = new Set<() => void>();
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
  }

  private notify(): void {
    for (const fn of this.listeners) {
      fn();
    }
  }

  static open(url: string, options: { cookie?: string; autoPong?: boolean } = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, { headers: options.cookie ? { cookie: options.cookie } : {}, autoPong: options.autoPong ?? true });
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames received and not yet taken, in order. */
  get pending(): Frame[] {
    return this.frames.slice(this.taken);
  }

  /** The next frame (optionally: of this type); frames before it are skipped over. */
  async next(type?: string, timeoutMs = 5000): Promise<Frame> {
    return this.waitFor((f) => type === undefined || f.type === type, timeoutMs);
  }

  /** Waits for a frame matching `pred` among those not yet taken; takes it and everything before it. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = this.taken; i < this.frames.length; i++) {
          if (pred(this.frames[i]!)) {
            this.taken = i + 1;
            done();
            resolve(this.frames[i]!);
            return;
          }
        }
        if (this.closed) {
          done();
          reject(new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting; got ${JSON.stringify(this.pending)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.pending)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** A ping round trip: every frame the server sent before the pong has arrived by then. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next('pong');
  }

  /** Resolves with the close code and reason. */
  closeEvent(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(this.closed);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error('the socket stayed open'));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}
