import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { Database } from '../../db';
import { type EventRow, formFor, Hub, LiveClient } from '../../server/live/hub';
import { MAX_FRAME_BYTES, parseFrame } from '../../server/live/plugin';

const post = (over: Partial<EventRow> = {}): EventRow => ({
  seq: 1,
  type: 'post.created',
  lat: 40.68,
  lng: -73.94,
  prevLat: null,
  prevLng: null,
  kind: 'need',
  category: 'meal',
  authorId: 'author',
  audience: null,
  data: { post: { form: 'public' } },
  authorData: { post: { form: 'exact' } },
  organizers: null,
  ...over,
});

/** A ws socket as far as the hub uses it (the socket itself is the ws library's). */
function socket(bufferedAmount = 0) {
  const closed: { code?: number } = {};
  const sent: string[] = [];
  const s = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount,
    send: (text: string) => sent.push(text),
    close: (code: number) => {
      closed.code = code;
    },
  };
  return { ws: s as unknown as WebSocket, sent, closed };
}

function client(userId: string | null, bbox?: [number, number, number, number], kinds?: string[], categories?: string[]) {
  const c = new LiveClient(socket().ws, userId);
  if (bbox) {
    c.subscription = { bbox, kinds: kinds ? new Set(kinds) : null, categories: categories ? new Set(categories) : null };
  }
  return c;
}

describe('formFor: who sees what', () => {
  const box: [number, number, number, number] = [-74, 40.6, -73.9, 40.7];
  it('public form inside the box and filters; nothing outside; the author always, exact', () => {
    expect(formFor(client(null, box), post())?.payload).toEqual({ post: { form: 'public' } });
    expect(formFor(client(null, box), post({ lat: 40.8 }))).toBeUndefined();
    expect(formFor(client(null), post())).toBeUndefined();
    expect(formFor(client(null, box, ['offer']), post())).toBeUndefined();
    expect(formFor(client(null, box, ['need'], ['ride']), post())).toBeUndefined();
    expect(formFor(client(null, box, ['need'], ['meal', 'ride']), post())?.key).toBe('public');
    expect(formFor(client('author'), post())?.payload).toEqual({ post: { form: 'exact' } });
    expect(formFor(client('someone', box), post())?.key).toBe('public');
  });

  it('organizers entitled when the event was written get the exact form, in their box and filters only; blocks still hold', () => {
    const ev = post({ organizers: ['org'] });
    expect(formFor(client('org', box), ev)?.payload).toEqual({ post: { form: 'exact' } });
    expect(formFor(client('org', box), ev)?.key).toBe('author');
    expect(formFor(client('org'), ev)).toBeUndefined();
    expect(formFor(client('org', box, ['offer']), ev)).toBeUndefined();
    expect(formFor(client('other-org', box), ev)?.key).toBe('public');
    expect(formFor(client(null, box), ev)?.key).toBe('public');
    const blocked = client('org', box);
    blocked.blocked = new Set(['author']);
    expect(formFor(blocked, ev)).toBeUndefined();
  });

  it('a post that moved reaches boxes holding its old point too', () => {
    expect(formFor(client(null, box), post({ lat: 40.8, prevLat: 40.65, prevLng: -73.95 }))?.key).toBe('public');
  });

  it('a box across the antimeridian', () => {
    const pacific: [number, number, number, number] = [170, -20, -170, 0];
    expect(formFor(client(null, pacific), post({ lat: -10, lng: 179 }))).toBeDefined();
    expect(formFor(client(null, pacific), post({ lat: -10, lng: -175 }))).toBeDefined();
    expect(formFor(client(null, pacific), post({ lat: -10, lng: 0 }))).toBeUndefined();
  });

  it('private events: the audience only, each with their own form', () => {
    const ev = post({ type: 'match.proposed', lat: null, lng: null, authorId: null, audience: ['a', 'b'], data: { a: { match: 'A' }, b: { match: 'B' } } });
    expect(formFor(client('a', [-180, -90, 180, 90]), ev)?.payload).toEqual({ match: 'A' });
    expect(formFor(client('b'), ev)?.payload).toEqual({ match: 'B' });
    expect(formFor(client('c', [-180, -90, 180, 90]), ev)).toBeUndefined();
    expect(formFor(client(null, [-180, -90, 180, 90]), ev)).toBeUndefined();
  });
});

describe('slow consumers', () => {
  it('a socket whose unsent data passes the limit is closed with 1013 instead of buffering more', () => {
    const hub = new Hub({} as Database, { now: () => new Date() }, { warn() {}, error() {} }, { maxBufferedBytes: 1000, pollMs: 1000, pruneMs: 1000 }, { every: () => () => {} });
    const fast = socket(0);
    const slow = socket(5000);
    const a = new LiveClient(fast.ws, null);
    const b = new LiveClient(slow.ws, null);
    hub.add(a);
    hub.add(b);
    hub.send(a, 'x');
    hub.send(b, 'x');
    expect(fast.sent).toEqual(['x']);
    expect(slow.sent).toEqual([]);
    expect(slow.closed.code).toBe(1013);
    expect(hub.clients.has(b)).toBe(false);
  });
});

describe('parseFrame', () => {
  const text = (s: string) => Buffer.from(s);
  it('reads subscribe, resume, ping; empty filters mean all', () => {
    expect(parseFrame(text('{"type":"ping"}'), false)).toEqual({ type: 'ping' });
    expect(parseFrame(text('{"type":"resume","since":5}'), false)).toEqual({ type: 'resume', since: 5 });
    const sub = parseFrame(text('{"type":"subscribe","bbox":[170,-10,-170,10],"kinds":[],"since":3}'), false);
    expect(sub).toMatchObject({ type: 'subscribe', since: 3, subscription: { bbox: [170, -10, -170, 10], kinds: null, categories: null } });
  });

  it('refuses what it cannot act on, saying why', () => {
    const bad = (s: string | Buffer, binary = false) => {
      try {
        parseFrame(typeof s === 'string' ? text(s) : s, binary);
      } catch (error) {
        return (error as { code: string }).code;
      }
      return 'accepted';
    };
    expect(bad('{')).toBe('bad_json');
    expect(bad('{"type":"ping"}', true)).toBe('bad_json');
    expect(bad('"ping"')).toBe('bad_frame');
    expect(bad('{"type":"subscribe","bbox":[1,2,3,"4"]}')).toBe('bad_frame');
    expect(bad('{"type":"subscribe","bbox":[1,2,3,null]}')).toBe('bad_frame');
    expect(bad('{"type":"subscribe","bbox":[0,91,1,92]}')).toBe('bad_frame');
    expect(bad('{"type":"resume","since":1.5}')).toBe('bad_frame');
    expect(bad('{"type":"resume"}')).toBe('bad_frame');
    expect(bad('{}')).toBe('unknown_type');
    expect(bad(Buffer.alloc(MAX_FRAME_BYTES + 1, 32))).toBe('too_large');
  });
});
