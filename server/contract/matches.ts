import Type, { type Static } from 'typebox';
import { MATCH_STATUSES } from '../../db/schema';
import { PostSchema } from './posts';
import { DateTime, StringEnum, Uuid } from './types';

export const MessageSchema = Type.Object({
  id: Uuid,
  author: Type.Object({ id: Uuid, displayName: Type.String() }),
  body: Type.String(),
  createdAt: DateTime,
});
export type Message = Static<typeof MessageSchema>;

export const MatchSchema = Type.Object({
  id: Uuid,
  status: StringEnum(MATCH_STATUSES),
  needId: Uuid,
  offerId: Uuid,
  proposedBy: Type.Union([Uuid, Type.Null()]),
  /** Who made its latest change (proposed, answered, withdrew, cancelled or completed it); null: the server did. A live event's match names who caused it. */
  actedBy: Type.Union([Uuid, Type.Null()], { description: 'Who made its latest change; null: the server (a suggestion, a proposal withdrawn for want of an answer)' }),
  /** The occasion it is for, fixed when proposed: the first overlap of the two posts' windows not over then. */
  startsAt: Type.Union([DateTime, Type.Null()], {
    description:
      'When the occasion it is for starts: the first overlap of the two posts\' windows not over when it was proposed, fixed then. For a suggestion, the one a proposal now would be for. Marking it done is refused (409) before this.',
  }),
  endsAt: Type.Union([DateTime, Type.Null()], { description: 'When that occasion ends' }),
  /** Both posts as the viewer may see them: exact for both parties once accepted, public before. */
  need: PostSchema,
  offer: PostSchema,
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Match = Static<typeof MatchSchema>;

export const MatchReplySchema = Type.Object({ match: MatchSchema });

const Body = Type.String({ minLength: 1, maxLength: 2000 });

export const ProposeBodySchema = Type.Object(
  { needId: Uuid, offerId: Uuid, message: Type.Optional(Body) },
  { additionalProperties: false },
);
export type ProposeBody = Static<typeof ProposeBodySchema>;

export const MessageBodySchema = Type.Object({ body: Body }, { additionalProperties: false });

export const ListMatchesQuerySchema = Type.Object(
  {
    status: Type.Optional(StringEnum(MATCH_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const CandidateSchema = Type.Object({
  post: PostSchema,
  score: Type.Number({ description: 'How well it fits, 0–1 in tenths' }),
  /** From your post's true place to the candidate's public point, to 100 m: every number here is computed from what the map shows. */
  distanceM: Type.Integer({ description: "From your post's place to the candidate's public point (150–400 m from its true place), to 100 m" }),
  overlap: Type.Array(Type.Object({ start: DateTime, end: DateTime })),
  reasons: Type.Array(Type.String()),
});

export const CandidatesQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'default 20' })),
    tz: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "The reader's IANA time zone, which the reasons' times and `overlap` are written in (default: the post's own)" }),
    ),
  },
  { additionalProperties: false },
);
export type Candidate = Static<typeof CandidateSchema>;
