import { invalid } from './problem';

// Keyset cursors for lists ordered by (createdAt, id) descending: opaque to
// clients, checked strictly on the way back in.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(String(at));
    const year = createdAt.getUTCFullYear();
    if (typeof id === 'string' && UUID.test(id) && year >= 1970 && year < 9000) {
      return { createdAt, id };
    }
  } catch {
    // falls through to the problem below
  }
  throw invalid([{ path: '/cursor', message: 'is not a cursor this server gave; start again without it', code: 'cursor' }], 'query string');
}

