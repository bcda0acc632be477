// The client process of `npm run bench:live` (forked by test/bench/live.ts):
// holds the N WebSockets, subscribes each to its viewport once, and records
// the receipt time of every `post.created` frame per socket. It keeps the
// hot path small (no JSON.parse of event frames: the type is checked on the
// bytes and the post id sliced out), so it can take tens of thousands of
// frames a second on one core; its own CPU and event-loop delay are
// reported so a saturated client shows.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { type Command, type Event, type GroupReport, inBox, latency, type OpenCommand, type PostTiming, type Report, nowNs } from './shared';

const send = (e: Event) => process.send!(e);

const POST_CREATED = Buffer.from('{"type":"post.created"');
const ID_KEY = Buffer.from('"id":"');

let sockets: (WebSocket | null)[] = [];
let group: Uint8Array = new Uint8Array(0);
let boxes: Float64Array = new Float64Array(0);
let subscribed = new Uint8Array(0);
let recording = false;
/** Who was subscribed when recording began (the expected recipients are among them). */
let subscribedAtRecord: Uint8Array | null = null;

// Deliveries while recording: socket index, post number, receipt time (ns).
let cap = 1 << 20;
let dSock = new Int32Array(cap);
let dPost = new Int32Array(cap);
let dTime = new Float64Array(cap);
let count = 0;
const postIndex = new Map<string, number>();
const postIds: string[] = [];
const samples: Record<string, string> = {};
const otherFrames: Record<string, number> = {};
let closes: Record<string, number> = {};
const loop = monitorEventLoopDelay({ resolution: 10 });
let cpuStart = process.cpuUsage();
let wallStart = nowNs();

function grow(): void {
  cap *= 2;
  const s = new Int32Array(cap);
  s.set(dSock);
  dSock = s;
  const p = new Int32Array(cap);
  p.set(dPost);
  dPost = p;
  const t = new Float64Array(cap);
  t.set(dTime);
  dTime = t;
}

function other(data: Buffer): void {
  let type = 'unparsable';
  try {
    type = String((JSON.parse(data.toString('utf8')) as { type?: unknown }).type);
  } catch {
    // counted as unparsable
  }
  otherFrames[type] = (otherFrames[type] ?? 0) + 1;
}

function onFrame(i: number, data: Buffer): void {
  const t = nowNs();
  if (!recording) {
    return;
  }
  if (data.length > POST_CREATED.length && POST_CREATED.compare(data, 0, POST_CREATED.length) === 0) {
    // {"type":"post.created","seq":N,"post":{"id":"<uuid>",… — jsonb puts the shortest key first.
    const at = data.indexOf(ID_KEY);
    if (at < 0) {
      other(data);
      return;
    }
    const id = data.toString('latin1', at + ID_KEY.length, at + ID_KEY.length + 36);
    let p = postIndex.get(id);
    if (p === undefined) {
      p = postIds.length;
      postIndex.set(id, p);
      postIds.push(id);
      if (p < 5) {
        samples[id] = data.toString('utf8');
      }
    }
    if (count === cap) {
      grow();
    }
    dSock[count] = i;
    dPost[count] = p;
    dTime[count] = t;
    count++;
    return;
  }
  other(data);
}

function openOne(cmd: OpenCommand, i: number, errors: Record<string, number>): Promise<boolean> {
  return new Promise((resolve) => {
    const cookie = cmd.cookies[i];
    const ws = new WebSocket(cmd.urls[group[i]!]!, { perMessageDeflate: false, ...(cookie ? { headers: { cookie } } : {}) });
    let settled = false;
    const done = (ok: boolean, why?: string) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (!ok) {
        errors[why ?? 'failed'] = (errors[why ?? 'failed'] ?? 0) + 1;
        ws.terminate();
      }
      resolve(ok);
    };
    const timer = setTimeout(() => done(false, 'no "subscribed" within 60 s'), 60_000);
    ws.on('open', () => {
      const k = 4 * i;
      ws.send(JSON.stringify({ type: 'subscribe', bbox: [boxes[k], boxes[k + 1], boxes[k + 2], boxes[k + 3]] }));
    });
    ws.once('message', (data: Buffer) => {
      if (data.toString('utf8').startsWith('{"type":"subscribed"')) {
        subscribed[i] = 1;
        sockets[i] = ws;
        ws.on('message', (d: Buffer) => onFrame(i, d));
        done(true);
      } else {
        done(false, `first frame: ${data.toString('utf8').slice(0, 120)}`);
      }
    });
    ws.on('error', (error) => done(false, error.message));
    ws.on('close', (code) => {
      if (!settled) {
        done(false, `closed ${code} before subscribed`);
      } else if (subscribed[i]) {
        subscribed[i] = 0;
        const key = `${code}${recording ? ' while recording' : ''}`;
        closes[key] = (closes[key] ?? 0) + 1;
      }
      sockets[i] = null;
    });
  });
}

async function open(cmd: OpenCommand): Promise<void> {
  const started = nowNs();
  const n = cmd.group.length;
  group = cmd.group;
  boxes = cmd.boxes;
  subscribed = new Uint8Array(n);
  sockets = new Array<WebSocket | null>(n).fill(null);
  closes = {};
  const errors: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      if (await openOne(cmd, i, errors)) {
        ok++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, n) }, worker));
  send({ ev: 'opened', ok, failed: n - ok, errors, ms: (nowNs() - started) / 1e6 });
}

function record(): void {
  count = 0;
  postIndex.clear();
  postIds.length = 0;
  for (const k of Object.keys(samples)) {
    delete samples[k];
  }
  for (const k of Object.keys(otherFrames)) {
    delete otherFrames[k];
  }
  loop.reset();
  loop.enable();
  cpuStart = process.cpuUsage();
  wallStart = nowNs();
  recording = true;
  send({ ev: 'recording' });
}

function report(posts: PostTiming[], groups: number): Report {
  recording = false;
  loop.disable();
  const n = group.length;
  const P = posts.length;
  // Post number in this process -> index in `posts` (-1: not listed, a warm-up post).
  const listed = new Int32Array(postIds.length).fill(-1);
  const byId = new Map(posts.map((p, k) => [p.id, k]));
  postIds.forEach((id, p) => {
    listed[p] = byId.get(id) ?? -1;
  });
  const seen = new Uint8Array(Math.ceil((P * n) / 8));
  const perGroup = Array.from({ length: groups }, () => ({
    fromAck: [] as number[],
    fromSend: [] as number[],
    fromCommit: [] as number[],
    spread: [] as number[],
    unexpected: 0,
    duplicates: 0,
    last: 0,
  }));
  // The first receipt of each post in each group: the spread of the others behind it is the fan-out's own time.
  const first = new Float64Array(groups * P).fill(Infinity);
  const kept: number[] = [];
  let unlisted = 0;
  let firstSend = Infinity;
  for (const p of posts) {
    firstSend = Math.min(firstSend, p.sendNs);
  }
  for (let d = 0; d < count; d++) {
    const k = listed[dPost[d]!]!;
    if (k < 0) {
      unlisted++;
      continue;
    }
    const s = dSock[d]!;
    const g = perGroup[group[s]!]!;
    const bit = k * n + s;
    if (seen[bit >> 3]! & (1 << (bit & 7))) {
      g.duplicates++;
      continue;
    }
    seen[bit >> 3]! |= 1 << (bit & 7);
    const post = posts[k]!;
    if (!inBox(boxes, 4 * s, post.lat, post.lng)) {
      g.unexpected++;
    }
    const t = dTime[d]!;
    kept.push(d);
    const f = group[s]! * P + k;
    first[f] = Math.min(first[f]!, t);
    g.fromSend.push((t - post.sendNs) / 1e6);
    if (!Number.isNaN(post.ackNs)) {
      g.fromAck.push((t - post.ackNs) / 1e6);
    }
    if (!Number.isNaN(post.commitNs)) {
      g.fromCommit.push((t - post.commitNs) / 1e6);
    }
    g.last = Math.max(g.last, t);
  }
  for (const d of kept) {
    const s = dSock[d]!;
    perGroup[group[s]!]!.spread.push((dTime[d]! - first[group[s]! * P + listed[dPost[d]!]!]!) / 1e6);
  }
  // Expected: every socket subscribed at the start whose box holds the point (a plain loop: P × N).
  // Sockets that closed while recording count too: they were subscribed when the window began.
  const base = subscribedAtRecord ?? subscribed;
  const expected = new Float64Array(groups);
  const missing = new Float64Array(groups);
  const sockets = new Float64Array(groups);
  for (let s = 0; s < n; s++) {
    if (base[s]) {
      sockets[group[s]!]!++;
    }
  }
  for (let k = 0; k < P; k++) {
    const post = posts[k]!;
    for (let s = 0; s < n; s++) {
      if (base[s] && inBox(boxes, 4 * s, post.lat, post.lng)) {
        expected[group[s]!]!++;
        const bit = k * n + s;
        if (!(seen[bit >> 3]! & (1 << (bit & 7)))) {
          missing[group[s]!]!++;
        }
      }
    }
  }
  const summarize = (
    g: { fromAck: number[]; fromSend: number[]; fromCommit: number[]; spread: number[]; unexpected: number; duplicates: number; last: number },
    exp: number,
    miss: number,
    socks: number,
  ): GroupReport => {
    const a = Float64Array.from(g.fromAck).sort();
    const b = Float64Array.from(g.fromSend).sort();
    const windowNs = g.last - firstSend;
    return {
      delivered: b.length,
      expected: exp,
      missing: miss,
      unexpected: g.unexpected,
      duplicates: g.duplicates,
      fromAck: latency(a),
      fromSend: latency(b),
      fromCommit: latency(Float64Array.from(g.fromCommit).sort()),
      spread: latency(Float64Array.from(g.spread).sort()),
      perSecond: windowNs > 0 ? b.length / (windowNs / 1e9) : 0,
      sockets: socks,
    };
  };
  const groupReports = perGroup.map((g, i) => summarize(g, expected[i]!, missing[i]!, sockets[i]!));
  const all = summarize(
    {
      fromAck: perGroup.flatMap((g) => g.fromAck),
      fromSend: perGroup.flatMap((g) => g.fromSend),
      fromCommit: perGroup.flatMap((g) => g.fromCommit),
      spread: perGroup.flatMap((g) => g.spread),
      unexpected: perGroup.reduce((a, g) => a + g.unexpected, 0),
      duplicates: perGroup.reduce((a, g) => a + g.duplicates, 0),
      last: Math.max(...perGroup.map((g) => g.last)),
    },
    expected.reduce((a, x) => a + x, 0),
    missing.reduce((a, x) => a + x, 0),
    sockets.reduce((a, x) => a + x, 0),
  );
  return {
    groups: groupReports,
    all,
    unlisted,
    otherFrames: { ...otherFrames },
    closes: { ...closes },
    samples: { ...samples },
  };
}

async function closeAll(): Promise<void> {
  const started = nowNs();
  const open = sockets.filter((ws): ws is WebSocket => ws !== null);
  await Promise.all(
    open.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) {
            resolve();
            return;
          }
          const t = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 10_000);
          ws.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          ws.close(1000);
        }),
    ),
  );
  sockets = [];
  subscribedAtRecord = null;
  send({ ev: 'closed', ms: (nowNs() - started) / 1e6 });
}

process.on('message', (message: Command) => {
  switch (message.cmd) {
    case 'open':
      void open(message);
      break;
    case 'record':
      subscribedAtRecord = Uint8Array.from(subscribed);
      record();
      break;
    case 'mark':
      loop.reset();
      cpuStart = process.cpuUsage();
      wallStart = nowNs();
      break;
    case 'count': {
      const cpu = process.cpuUsage(cpuStart);
      const ms = (x: number) => x / 1e6;
      send({
        ev: 'count',
        count,
        cpu: (cpu.user + cpu.system) / 1000 / ms(nowNs() - wallStart),
        loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      });
      break;
    }
    case 'report':
      send({ ev: 'report', report: report(message.posts, message.groups) });
      break;
    case 'close':
      void closeAll();
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
