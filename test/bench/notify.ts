// `npm run bench:notify`: how long a notification takes to reach a person
// whose tab is closed, by e-mail (event → the SMTP server has the mail) and
// by Web Push (event → the push service has the encrypted message), at
// RATE notifications a second, against the floor: the same number of mails
// and pushes sent straight from this process with the same libraries
// (nodemailer, web-push) to the same receivers at the same rate.
//
//   npm run bench:notify
//   RATE=100 SECONDS=10 PAIRS=100 npm run bench:notify
//
// One command from a clean clone (after `npm ci`, with PostgreSQL + PostGIS
// on 127.0.0.1). Processes: this driver, which holds a real SMTP server
// (smtp-server) and a stand-in push service (node:http, decrypting each
// aes128gcm payload with the subscription's keys); and the server,
// `node --import tsx server/main.ts`, a child. PAIRS needers each have a
// verified address and a push subscription, and a match with a helper; the
// helpers write messages at RATE a second, round robin, each naming a
// token; every message is one notification to its needer. A mail may carry
// several tokens (a person's notifications waiting together go as one), each
// counted at the mail's arrival. Latency is from the message's 201.
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/aidmap_notify_bench,
// dropped and re-created each run), RATE (100), SECONDS (10), PAIRS (100),
// JOBS_POLL_MS (the server's, 1000), SERVER_NODE_ARGS (for the server's node,
// e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes).
import { spawn, type ChildProcess } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import postgres from 'postgres';
import { SMTPServer } from 'smtp-server';
import webpush from 'web-push';
import { intEnv, machineLoad } from './env';

// http_ece (web-push's own) ships no types: the one function used, as its README gives it.
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(body: Buffer, params: { version: 'aes128gcm'; privateKey: ReturnType<typeof createECDH>; authSecret: string }): Buffer;
};

const ROOT = join(import.meta.dirname, '../..');
const DEFAULT_DB = 'postgres://postgres@127.0.0.1:5432/aidmap_notify_bench';
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DB;
const RATE = intEnv('RATE', 100);
const SECONDS = intEnv('SECONDS', 10);
const PAIRS = intEnv('PAIRS', 100);
const POLL_MS = intEnv('JOBS_POLL_MS', 1000, 10);
const TOTAL = RATE * SECONDS;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function stats(values: number[]): string {
  if (values.length === 0) {
    return 'none';
  }
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms`;
}

// ---- the receivers: a real SMTP server and a stand-in push service ----

const TOKEN = /bench-(\d+)/g;
const arrivals = { mail: new Map<number, number>(), push: new Map<number, number>() };
let mails = 0;
let pushes = 0;

function tokensIn(text: string): number[] {
  return [...text.replace(/=\r?\n/g, '').matchAll(TOKEN)].map((m) => Number(m[1]));
}

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const at = now();
      mails++;
      for (const t of tokensIn(Buffer.concat(chunks).toString('utf8'))) {
        if (!arrivals.mail.has(t)) {
          arrivals.mail.set(t, at);
        }
      }
      callback();
    });
  },
});

/** Subscription keys by the endpoint's last path part. */
const keys = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();

const pushService = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    pushes++;
    const key = keys.get((req.url ?? '').split('/').at(-1)!);
    if (key) {
      try {
        const plain = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: key.ecdh, authSecret: key.auth.toString('base64url') });
        for (const t of tokensIn(plain.toString('utf8'))) {
          if (!arrivals.push.has(t)) {
            arrivals.push.set(t, at);
          }
        }
      } catch (error) {
        console.error('a push payload did not decrypt:', (error as Error).message);
      }
    }
    res.writeHead(201).end();
  });
});

async function listen(server: { listen: (port: number, host: string, cb: () => void) => unknown }, address: () => AddressInfo): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return address().port;
}

// ---- the server ----

let child: ChildProcess | null = null;
const serverOutput: string[] = [];

async function startServer(port: number, smtpPort: number): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [...(process.env.SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: base,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_DIGEST_MINUTES: '0',
      JOBS_POLL_MS: String(POLL_MS),
      RATE_LIMIT_SCALE: '1000',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = serverOutput;
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the server exited with ${child.exitCode}:\n${output.join('').slice(-3000)}`);
    }
    try {
      if ((await fetch(`${base}/api/health`)).status === 200) {
        return base;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the server did not answer within 120 s:\n${output.join('').slice(-3000)}`);
    }
    await sleep(200);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, () => s.address() as AddressInfo);
  await new Promise((r) => s.close(r));
  return port;
}

// ---- the API, as a browser would use it ----

class Client {
  cookie = '';
  id = '';
  constructor(private readonly base: string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), cookie: this.cookie, origin: this.base },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const set = res.headers.get('set-cookie');
    if (set) {
      this.cookie = set.split(';')[0]!;
    }
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    }
    return res.json;
  }
}

const WINDOW = (() => {
  const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  return { start: `${day}T10:00:00Z`, end: `${day}T12:00:00Z` };
})();

async function main() {
  console.log(`bench:notify: ${RATE} notifications/s for ${SECONDS} s to ${PAIRS} people; ${machineLoad()}`);
  const admin = postgres(new URL('/postgres', databaseUrl).toString(), { max: 1, onnotice: () => {} });
  const name = new URL(databaseUrl).pathname.slice(1);
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();

  const smtpPort = await listen(smtp.server as never, () => smtp.server.address() as AddressInfo);
  const pushPort = await listen(pushService, () => pushService.address() as AddressInfo);
  const base = await startServer(await freePort(), smtpPort);
  const db = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
    // Needers with a verified address and a browser; helpers with a match each.
    const needers: Client[] = [];
    const threads: { helper: Client; matchId: string }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const needer = new Client(base);
      const helper = new Client(base);
      const run = `${Date.now()}-${i}`;
      needer.id = (await needer.expect<{ user: { id: string } }>(201, 'POST', '/api/auth/signup', { email: `needer-${run}@bench.example`, password: 'correct horse battery', displayName: `Needer ${i}` })).user.id;
      helper.id = (await helper.expect<{ user: { id: string } }>(201, 'POST', '/api/auth/signup', { email: `helper-${run}@bench.example`, password: 'correct horse battery', displayName: `Helper ${i}` })).user.id;
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      keys.set(String(i), { ecdh, auth });
      await needer.expect(201, 'POST', '/api/me/push-subscriptions', {
        endpoint: `http://127.0.0.1:${pushPort}/push/${i}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      });
      const at = { lat: 40.6782 + (i % 10) * 0.001, lng: -73.9442 + Math.floor(i / 10) * 0.001 };
      const need = await needer.expect<{ post: { id: string } }>(201, 'POST', '/api/posts', {
        kind: 'need', category: 'errand', title: `Errand ${i}`, location: at, radiusM: 2000, windows: [WINDOW], capacity: 1, details: {},
      });
      const offer = await helper.expect<{ post: { id: string } }>(201, 'POST', '/api/posts', {
        kind: 'offer', category: 'errand', title: `Errands ${i}`, location: at, radiusM: 2000, windows: [WINDOW], capacity: 1, details: {},
      });
      const match = await helper.expect<{ match: { id: string } }>(201, 'POST', '/api/matches', { needId: need.post.id, offerId: offer.post.id });
      needers.push(needer);
      threads.push({ helper, matchId: match.match.id });
    }
    await db`UPDATE users SET email_verified_at = now() WHERE display_name LIKE 'Needer %'`;
    // The proposals' own notifications went before the addresses were verified: wait for their pushes, then start clean.
    await sleep(POLL_MS + 2000);
    arrivals.mail.clear();
    arrivals.push.clear();
    mails = 0;
    pushes = 0;

    // The measured run: RATE messages a second, on a fixed schedule.
    const sentAt = new Map<number, number>();
    const started = now();
    const sends: Promise<void>[] = [];
    for (let n = 0; n < TOTAL; n++) {
      const due = started + (n * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) {
        await sleep(wait);
      }
      const { helper, matchId } = threads[n % threads.length]!;
      sends.push(
        helper.expect(201, 'POST', `/api/matches/${matchId}/messages`, { body: `bench-${n} is on the way` }).then(() => {
          sentAt.set(n, now());
        }),
      );
    }
    await Promise.all(sends);
    const sendRate = TOTAL / ((now() - started) / 1000);
    const deadline = now() + 60_000;
    while ((arrivals.mail.size < TOTAL || arrivals.push.size < TOTAL) && now() < deadline) {
      await sleep(200);
    }
    const lat = (m: Map<number, number>) => [...m].filter(([n]) => sentAt.has(n)).map(([n, at]) => Math.max(0, at - sentAt.get(n)!));
    const [left] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE failed_at IS NULL`;
    const [failed] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE failed_at IS NOT NULL`;
    console.log(`sent ${TOTAL} messages at ${sendRate.toFixed(1)}/s (target ${RATE}/s)`);
    console.log(`e-mail: ${arrivals.mail.size}/${TOTAL} notifications arrived in ${mails} mails; event → SMTP receipt ${stats(lat(arrivals.mail))}`);
    console.log(`push:   ${arrivals.push.size}/${TOTAL} arrived in ${pushes} pushes; event → push receipt ${stats(lat(arrivals.push))}`);
    console.log(`jobs left waiting ${left!.n}, failed ${failed!.n}`);

    // The floor: the same libraries, straight from here, same rate, same receivers.
    arrivals.mail.clear();
    arrivals.push.clear();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 5 });
    const vapid = webpush.generateVAPIDKeys();
    const floorSent = new Map<number, number>();
    const floorStart = now();
    const floorSends: Promise<unknown>[] = [];
    for (let n = 0; n < TOTAL; n++) {
      const due = floorStart + (n * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) {
        await sleep(wait);
      }
      const i = n % PAIRS;
      const key = keys.get(String(i))!;
      floorSent.set(n, now());
      floorSends.push(transport.sendMail({ from: 'bench@localhost', to: `needer-${i}@bench.example`, subject: 'A message', text: `bench-${n} is on the way` }));
      // As the server sends (server/push/send.ts): web-push encrypts and signs, fetch sends (web-push's own sender always speaks TLS).
      const details = webpush.generateRequestDetails(
        { endpoint: `http://127.0.0.1:${pushPort}/push/${i}`, keys: { p256dh: key.ecdh.getPublicKey().toString('base64url'), auth: key.auth.toString('base64url') } },
        JSON.stringify({ title: 'A message', body: `bench-${n} is on the way` }),
        { vapidDetails: { subject: 'mailto:bench@localhost', publicKey: vapid.publicKey, privateKey: vapid.privateKey }, TTL: 60, contentEncoding: 'aes128gcm' },
      );
      floorSends.push(fetch(details.endpoint, { method: 'POST', headers: details.headers as Record<string, string>, body: details.body as Buffer }));
    }
    await Promise.all(floorSends);
    transport.close();
    const floorLat = (m: Map<number, number>) => [...m].map(([n, at]) => Math.max(0, at - floorSent.get(n)!));
    console.log(`floor e-mail (nodemailer, pooled, from here): ${stats(floorLat(arrivals.mail))}`);
    console.log(`floor push (web-push, from here): ${stats(floorLat(arrivals.push))}`);
    console.log(`${machineLoad()} at the end`);
    if (process.env.SERVER_LOG) {
      (await import('node:fs')).writeFileSync(process.env.SERVER_LOG, serverOutput.join(''));
    }
  } finally {
    child?.kill('SIGTERM');
    await db.end({ timeout: 5 });
    smtp.close(() => {});
    pushService.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    child?.kill('SIGTERM');
    process.exit(1);
  },
);
