// The server's log lines: JSON for collectors, one readable line per event
// for a person at a terminal (LOG_FORMAT), with points masked either way.
import Fastify from 'fastify';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { logStreamFor, serializeError, serializeRequest } from '../../server/http/log';
import { loadConfig } from '../../server/config';

async function logsOf(stream: NodeJS.WritableStream | undefined, sink: string[]): Promise<void> {
  const app = Fastify({
    logger: { level: 'info', serializers: { err: serializeError, req: serializeRequest }, ...(stream ? { stream: stream as never } : {}) },
  });
  app.get('/api/communities', async () => ({ items: [] }));
  await app.inject({ method: 'GET', url: '/api/communities?lat=40.671234&lng=-73.953456' });
  await app.close();
  await new Promise((r) => setImmediate(r));
  expect(sink.length).toBeGreaterThan(0);
}

describe('log format', () => {
  it('is JSON unless asked, or unless a terminal reads it (auto)', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be auto, json or pretty, got "xml"/);
    expect(logStreamFor('json', true)).toBeUndefined();
    expect(logStreamFor('auto', false)).toBeUndefined();
    expect(logStreamFor('auto', true)).toBeDefined();
    expect(logStreamFor('pretty', false)).toBeDefined();
  });

  it('reads as a line per event for a person, with the exact point masked as in JSON', async () => {
    const sink: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => sink.push(chunk.toString()));
    await logsOf(logStreamFor('pretty', false, out), sink);
    const text = sink.join('');
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\] INFO: incoming request/m);
    expect(text).toMatch(/request completed/);
    expect(text).not.toMatch(/^\{/m);
    expect(text).toContain('/api/communities');
    expect(text).not.toContain('40.671234');
    expect(text).not.toContain('-73.953456');
  });
});
