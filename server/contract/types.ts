import Type, { type TSchema, type TUnsafe } from 'typebox';

/** A string from a fixed list, as a plain JSON-schema `enum` (one clear error: "must be one of: …"). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time' });

export const IdParamsSchema = Type.Object({ id: Uuid });

/** `{ items, nextCursor }`, the shape of every list. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** The optional Idempotency-Key of a POST that makes something (server/http/idempotency.ts). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'A key of your choice (a UUID) per thing to make; a retry with the same key gets the first answer' }),
  ),
});
