import Type from 'typebox';
import { DateTime, Uuid } from '../contract/types';

const Person = Type.Object({ id: Uuid, displayName: Type.String() });

/** A report as moderators see it: with its reporter, and a post's exact place (moderators may act on any post). */
export const ModerationFlagSchema = Type.Object({
  id: Uuid,
  reason: Type.String(),
  createdAt: DateTime,
  reporter: Person,
  post: Type.Optional(
    Type.Object({
      id: Uuid,
      title: Type.String(),
      hidden: Type.Boolean(),
      author: Person,
      location: Type.Object({ lat: Type.Number(), lng: Type.Number() }, { description: 'the exact place' }),
    }),
  ),
  user: Type.Optional(Type.Object({ id: Uuid, displayName: Type.String(), suspended: Type.Boolean() })),
});

export const ModerationFlagsQuerySchema = Type.Object(
  {
    before: Type.Optional(Type.String({ format: 'uuid', description: 'reports older than this one (the next page: nextCursor)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export const ModerationLogEntrySchema = Type.Object({
  id: Type.Integer(),
  actor: Type.Union([Person, Type.Null()], { description: 'null: done from the command line (grants)' }),
  action: Type.String({ description: 'post.hide, post.unhide, user.suspend, user.unsuspend, moderator.grant, moderator.revoke' }),
  subjectType: Type.String(),
  subjectId: Type.String(),
  before: Type.Union([Type.Unknown(), Type.Null()]),
  after: Type.Union([Type.Unknown(), Type.Null()]),
  createdAt: DateTime,
});

export const ModerationLogQuerySchema = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'entries older than this id (the next page)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export const SuspendAccountBodySchema = Type.Object(
  { userId: Uuid, reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
