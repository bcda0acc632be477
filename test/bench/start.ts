// `npm run bench:start`: how long `npm start` takes until /api/health answers,
// on the embedded database — cold (a new DATA_DIR: create, CREATE EXTENSION
// postgis, migrate) and warm (the same DATA_DIR again). Each run includes the
// web build `npm start` does first.
// Reference (STACK.md, measured on this kind of machine): PGlite + PostGIS
// first open 9–10 s plus 7–9 s for CREATE EXTENSION postgis; warm open 4.7–6 s.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLoad } from './env';

const runs = Number(process.env.RUNS ?? 2);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function timeStart(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (res.ok) {
          return performance.now() - started;
        }
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) {
        throw new Error(`npm start exited with ${child.exitCode}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const cold: number[] = [];
const warm: number[] = [];
const loadBefore = machineLoad();
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aidmap-bench-'));
  cold.push(await timeStart(dataDir));
  warm.push(await timeStart(dataDir));
  rmSync(dataDir, { recursive: true, force: true });
}
const fmt = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ');
console.log(`npm start → /api/health 200, embedded database, ${runs} runs; ${loadBefore} before, ${machineLoad()} after`);
console.log(`  cold (new DATA_DIR): ${fmt(cold)}`);
console.log(`  warm (same DATA_DIR): ${fmt(warm)}`);
console.log('  floor (STACK.md): PGlite+PostGIS cold open ~16–19 s (9–10 s + 7–9 s CREATE EXTENSION), warm open 4.7–6 s');
