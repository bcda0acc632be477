// The real entry point in its own process: it starts, serves, and on SIGTERM
// stops accepting, finishes the request in flight, closes the database, exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneTestDatabase } from '../helper';

let server: ChildProcess;
let port = 0;
let output = '';
const dataDir = mkdtempSync(join(tmpdir(), 'aidmap-server-'));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir };
  // With DATABASE_URL, a clone of the migrated template like every other file;
  // without, the embedded database in a new data directory.
  const url = await cloneTestDatabase();
  if (url) {
    env.DATABASE_URL = url;
  } else {
    delete env.DATABASE_URL;
  }
  server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    // A fresh embedded database migrates and loads PostGIS first: on a busy 2-core machine (CI runs the
    // browser tests beside this file) that once took over 90 s before the first log line.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 180_000);
    server.stdout!.on('data', () => {
      if (output.includes('Aidmap is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}, 200_000);

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function rawRequest(head: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Resolves once the server has logged a line matching `pattern`. */
async function logged(pattern: RegExp): Promise<void> {
  for (let i = 0; i < 400 && !pattern.test(output); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(output).toMatch(pattern);
}

describe('server process', () => {
  it('serves, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', db: 'ok' });
    await logged(/"requestId":"[0-9a-f-]{36}"/);

    // Headers sent, body held back: the request is in flight when the signal comes.
    const body = JSON.stringify({ email: 'late@example.org', password: 'correct horse battery', displayName: 'Late' });
    const socket = await rawRequest(
      `POST /api/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    await logged(/"url":"\/api\/auth\/signup".*"incoming request"/);
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    await logged(/"signal":"SIGTERM".*"closing"/);
    socket.write(body);
    const code = await exited;
    expect(response).toMatch(/^HTTP\/1\.1 201/);
    expect(code, output.split('\n').slice(-8).join('\n') + response).toBe(0);
    expect(output).toMatch(/"signal":"SIGTERM"/);
    // Nobody is listening any more.
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  }, 60_000);
});

describe('a start that cannot succeed', () => {
  it('says why in one line and exits 1', async () => {
    const held = mkdtempSync(join(tmpdir(), 'aidmap-held-'));
    writeFileSync(join(held, 'aidmap.lock'), String(process.pid));
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: held, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    rmSync(held, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^Aidmap cannot start: The embedded database in .* is in use by another Aidmap process/);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
