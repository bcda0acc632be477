// `/ws`: the live socket. Anonymous sockets get public events; a socket
// opened with a session cookie also gets its user's private ones. Frames
// are checked here; routing and replay are the hub's.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RawData, WebSocket } from 'ws';
import { CATEGORIES, POST_KINDS } from '../../db';
import { sessionKey, SIGNED_OUT_CHANNEL } from '../auth/repository';
import { forbidden } from '../http/problem';
import { DEFAULT_HUB_OPTIONS, Hub, type HubOptions, LiveClient, type Subscription } from './hub';
import { BLOCKS_CHANNEL, blockedIdsOf } from '../access';
import { bboxProblems } from '../contract/bbox';
import { type BBox, type FrameErrorCode, type ServerFrame } from '../contract/live';

declare module 'fastify' {
  interface FastifyInstance {
    live: Hub;
  }
}

/** Frames larger than this get an `error` frame (the connection stays open). */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Frames larger than this end the connection (1009): not even read. */
const HARD_FRAME_BYTES = 1024 * 1024;
/** Close code for a socket whose session signed out (4000–4999 are the application's). */
export const SIGNED_OUT_CLOSE = 4001;
/** Close code for a socket over its IP's cap (4429: HTTP's 429, in the application's range). */
export const TOO_MANY_SOCKETS_CLOSE = 4429;

export interface LiveOptions extends HubOptions {
  /** Server ping interval; a socket that has not answered the previous ping is dropped. */
  heartbeatMs: number;
  /** Frames a client may send: a burst of this many, refilled at `ratePerSecond`. */
  burst: number;
  ratePerSecond: number;
  /** Frames refused for rate in a row before the socket is closed with 1008. */
  floodClose: number;
  /**
   * Sockets one client IP may hold open; more are closed at once with 4429.
   * Generous: a room of volunteers on one Wi-Fi, or phones behind a
   * carrier's NAT, share an address.
   */
  maxPerIp: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  ...DEFAULT_HUB_OPTIONS,
  heartbeatMs: 30_000,
  burst: 30,
  ratePerSecond: 10,
  floodClose: 60,
  maxPerIp: 50,
};

type ErrorCode = FrameErrorCode;

class FrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const KINDS = new Set<string>(POST_KINDS);
const CATEGORY_SET = new Set<string>(CATEGORIES);

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function parseBBox(value: unknown): BBox {
  if (!Array.isArray(value) || value.length !== 4 || !value.every(isNumber)) {
    throw new FrameError('bad_frame', 'bbox must be [west, south, east, north]: four numbers in degrees.');
  }
  const [w, s, e, n] = value as BBox;
  const problems = bboxProblems(w, s, e, n);
  if (problems.length > 0) {
    throw new FrameError('bad_frame', `bbox ${problems.join('; ')}.`);
  }
  return [w, s, e, n];
}

function parseSet(value: unknown, name: string, allowed: Set<string>): ReadonlySet<string> | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && allowed.has(v))) {
    throw new FrameError('bad_frame', `${name} must be a list of: ${[...allowed].join(', ')}.`);
  }
  // An empty filter means all.
  return value.length === 0 ? null : new Set(value as string[]);
}

function allowOnly(frame: Record<string, unknown>, keys: string[]): void {
  const extra = Object.keys(frame).filter((k) => !keys.includes(k));
  if (extra.length > 0) {
    throw new FrameError('bad_frame', `Unknown field${extra.length > 1 ? 's' : ''}: ${extra.join(', ')}.`);
  }
}

type ClientFrame = { type: 'subscribe'; subscription: Subscription; since?: number } | { type: 'resume'; since: number } | { type: 'ping' };

function parseSince(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new FrameError('bad_frame', 'since must be the seq of the last event received (an integer, 0 or more).');
  }
  return value as number;
}

export function parseFrame(data: RawData, isBinary: boolean): ClientFrame {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new FrameError('too_large', `Frames are at most ${MAX_FRAME_BYTES / 1024} KB.`);
  }
  if (isBinary) {
    throw new FrameError('bad_json', 'Frames are JSON text.');
  }
  let frame: unknown;
  try {
    frame = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FrameError('bad_json', 'This frame is not valid JSON.');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    throw new FrameError('bad_frame', 'A frame is a JSON object with a "type".');
  }
  const f = frame as Record<string, unknown>;
  switch (f.type) {
    case 'subscribe':
      allowOnly(f, ['type', 'bbox', 'kinds', 'categories', 'since']);
      return {
        type: 'subscribe',
        subscription: { bbox: parseBBox(f.bbox), kinds: parseSet(f.kinds, 'kinds', KINDS), categories: parseSet(f.categories, 'categories', CATEGORY_SET) },
        ...(f.since === undefined ? {} : { since: parseSince(f.since) }),
      };
    case 'resume':
      allowOnly(f, ['type', 'since']);
      return { type: 'resume', since: parseSince(f.since) };
    case 'ping':
      return { type: 'ping' };
    default:
      throw new FrameError('unknown_type', `Unknown frame type ${JSON.stringify(f.type) ?? '(none)'}; use subscribe, resume or ping.`);
  }
}

export default fp(
  async function live(app: FastifyInstance, opts: { options?: Partial<LiveOptions> }) {
    const options: LiveOptions = { ...DEFAULT_LIVE_OPTIONS, ...opts.options };
    const hub = new Hub(app.database, app.clock, app.log, options, app.jobs);
    app.decorate('live', hub);
    await app.register(websocket, { options: { maxPayload: HARD_FRAME_BYTES } });

    const stopHeartbeat = app.jobs.every('socket heartbeat', options.heartbeatMs, () => {
      for (const client of hub.clients) {
        if (!client.alive) {
          hub.remove(client);
          client.socket.terminate();
          continue;
        }
        client.alive = false;
        client.socket.ping();
      }
    });

    const reloadBlocks = async (client: LiveClient) => {
      try {
        client.blocked = await blockedIdsOf(app.db, client.userId!);
      } catch (err) {
        app.log.error({ err }, 'loading blocks for a socket failed');
      }
    };
    // A block made or lifted (here or on another instance): the two people's sockets reload theirs.
    let unlistenBlocks: (() => Promise<void>) | null = null;
    app.addHook('onReady', async () => {
      unlistenBlocks = await app.database.listen(BLOCKS_CHANNEL, (payload) => {
        const people = new Set(payload.split(':'));
        for (const client of hub.clients) {
          if (client.userId && people.has(client.userId)) {
            void reloadBlocks(client);
          }
        }
      });
    });
    app.addHook('preClose', async () => {
      await unlistenBlocks?.().catch(() => {});
    });

    // A session signed out (here or on another instance): its sockets close, and the
    // browser reconnects as nobody; private events must not outlive the session.
    let unlistenSignOut: (() => Promise<void>) | null = null;
    app.addHook('onReady', async () => {
      await hub.start();
      unlistenSignOut = await app.database.listen(SIGNED_OUT_CHANNEL, (key) => {
        for (const client of hub.clients) {
          if (client.session === key) {
            hub.remove(client);
            client.socket.close(SIGNED_OUT_CLOSE, 'Signed out');
          }
        }
      });
    });
    // Before the database closes (its onClose hook runs after ours: registered earlier).
    app.addHook('preClose', async () => {
      stopHeartbeat();
      for (const client of hub.clients) {
        client.socket.close(1001, 'Server restarting; reconnect and resume');
      }
      await unlistenSignOut?.().catch(() => {});
      await hub.stop();
    });

    // Open sockets per client IP (TRUST_PROXY makes it the real one).
    const openPerIp = new Map<string, number>();

    // A browser sends Origin on every WebSocket handshake, and the handshake
    // carries the cookie whatever page opened it: without this check any site
    // could read a visitor's private events. Refused before the upgrade (403).
    const sameOrigin = async (request: FastifyRequest) => {
      if (!app.trustedOrigin(request)) {
        throw forbidden('Live updates open only from Aidmap\'s own pages.', 'origin');
      }
    };

    app.get('/ws', { websocket: true, schema: { hide: true }, onRequest: sameOrigin }, (socket: WebSocket, request) => {
      const ip = request.ip;
      const open = openPerIp.get(ip) ?? 0;
      if (open >= options.maxPerIp) {
        // After the upgrade, so the browser's WebSocket sees a code and a reason (a refused handshake is only 1006).
        socket.close(TOO_MANY_SOCKETS_CLOSE, `Too many live connections from this address (${options.maxPerIp}); close some`);
        return;
      }
      openPerIp.set(ip, open + 1);
      // 'close' comes once, after a close, an error or a terminate alike.
      socket.once('close', () => {
        const left = (openPerIp.get(ip) ?? 1) - 1;
        if (left > 0) {
          openPerIp.set(ip, left);
        } else {
          openPerIp.delete(ip);
        }
      });
      const client = new LiveClient(socket, request.user?.id ?? null, request.user && request.sessionToken ? sessionKey(request.sessionToken) : null);
      hub.add(client);
      if (client.userId) {
        void reloadBlocks(client);
      }
      let tokens = options.burst;
      let refilled = Date.now();
      let refusedInARow = 0;
      // Frames are handled one at a time, in order (a resume's replay finishes before the next frame).
      let chain = Promise.resolve();
      const reply = (message: ServerFrame) => hub.send(client, JSON.stringify(message));
      const fail = (code: ErrorCode, message: string) => reply({ type: 'error', code, message });

      socket.on('pong', () => {
        client.alive = true;
      });
      socket.on('close', () => hub.remove(client));
      socket.on('error', () => hub.remove(client));
      socket.on('message', (data, isBinary) => {
        client.alive = true;
        const now = Date.now();
        tokens = Math.min(options.burst, tokens + ((now - refilled) / 1000) * options.ratePerSecond);
        refilled = now;
        if (tokens < 1) {
          refusedInARow++;
          if (refusedInARow >= options.floodClose) {
            hub.remove(client);
            socket.close(1008, 'Too many frames');
          } else if (refusedInARow === 1) {
            fail('rate_limited', `Too many frames; at most ${options.ratePerSecond} a second. Frames are dropped until then.`);
          }
          return;
        }
        tokens -= 1;
        refusedInARow = 0;
        let frame: ClientFrame;
        try {
          frame = parseFrame(data, isBinary);
        } catch (error) {
          if (error instanceof FrameError) {
            fail(error.code, error.message);
            return;
          }
          throw error;
        }
        chain = chain.then(async () => {
          try {
            if (frame.type === 'ping') {
              reply({ type: 'pong' });
            } else if (frame.type === 'subscribe') {
              if (frame.since !== undefined) {
                hub.hold(client); // subscribe and resume as one: nothing live goes out before the replay
              }
              hub.subscribe(client, frame.subscription);
              reply({ type: 'subscribed', seq: client.liveFrom });
              if (frame.since !== undefined && 'resync' in (await hub.resume(client, frame.since))) {
                reply({ type: 'resync' });
              }
            } else if ('resync' in (await hub.resume(client, frame.since))) {
              reply({ type: 'resync' });
            }
          } catch (error) {
            request.log.error({ err: error }, 'live frame failed');
            fail('unavailable', 'The server could not do this just now; try again.');
          }
        });
      });
    });
  },
  { name: 'live', dependencies: ['database', 'session', 'security', 'jobs'] },
);
