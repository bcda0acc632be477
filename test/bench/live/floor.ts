// The floor of `npm run bench:live`: a bare `ws` server (no Fastify, no
// database, no sessions, no R-tree, no checks) that does only what fan-out
// must: take a socket's `subscribe` box, answer `subscribed`, and for each
// event the driver publishes, send the given frame text to every socket
// whose box holds the point. Routing is a plain loop over the boxes (four
// comparisons each; at 10,000 sockets about 20 µs an event).
//
//   PORT=… node --import tsx test/bench/live/floor.ts
//
// POST /publish {"lat","lng","frame"} → 200 {"sent": n} after the sends are
// queued (what the hub does after its SELECT). GET /health → 200.
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

interface Sub {
  ws: WebSocket;
  w: number;
  s: number;
  e: number;
  n: number;
}

const subs: Sub[] = [];
let lastSeq = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { lat, lng, frame, seq } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { lat: number; lng: number; frame: string; seq: number };
    lastSeq = Math.max(lastSeq, seq);
    let sent = 0;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      if (lat >= sub.s && lat <= sub.n && lng >= sub.w && lng <= sub.e) {
        sub.ws.send(frame);
        sent++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"sent":${sent}}`);
  });
});

const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1024 * 1024 });
wss.on('connection', (ws) => {
  let sub: Sub | null = null;
  ws.on('message', (data: Buffer) => {
    let f: { type?: unknown; bbox?: unknown };
    try {
      f = JSON.parse(data.toString('utf8')) as typeof f;
    } catch {
      return;
    }
    if (f.type === 'subscribe' && Array.isArray(f.bbox) && f.bbox.length === 4) {
      const [w, s, e, n] = f.bbox as number[];
      if (sub === null) {
        sub = { ws, w: w!, s: s!, e: e!, n: n! };
        subs.push(sub);
      } else {
        Object.assign(sub, { w, s, e, n });
      }
      ws.send(JSON.stringify({ type: 'subscribed', seq: lastSeq }));
    } else if (f.type === 'ping') {
      ws.send('{"type":"pong"}');
    }
  });
  ws.on('close', () => {
    if (sub) {
      const i = subs.indexOf(sub);
      if (i >= 0) {
        subs[i] = subs[subs.length - 1]!;
        subs.pop();
      }
    }
  });
});

// Keep the driver's keep-alive connections through pauses (Node's default closes them after 5 s idle, racing the next request).
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
