// Benchmark settings from the environment: a bad one stops the run with a message.
import { cpus, loadavg } from 'node:os';

/** "2 CPUs, load 0.52 0.31 0.20": every bench says how busy the machine was, at its start and its end. */
export function machineLoad(): string {
  return `${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/** A whole number at least `min` (underscores and commas allowed: 1_000_000). */
export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < min) {
    console.error(`${name} must be an integer of at least ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}
