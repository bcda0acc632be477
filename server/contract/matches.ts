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

const Span = Type.Object({ start: DateTime, end: DateTime });

/**
 * One reason as a code and its values (score.ts `Reason`): a client writes it
 * in its reader's language and clock, where `reasons` is English text.
 */
export const ReasonSchema = Type.Union([
  Type.Object({ code: Type.Literal('distance'), m: Type.Integer({ description: 'From your post to their public point, to 100 m (0: under 100 m)' }) }),
  Type.Object({ code: Type.Literal('remote') }),
  Type.Object({
    code: StringEnum(['free', 'needs'] as const, { description: "free: your post is the need, `theirs` is when the helper is free; needs: your post is the offer, `theirs` is when help is needed" }),
    theirs: Span,
    yours: Span,
  }),
  Type.Object({ code: Type.Literal('speaks'), languages: Type.Array(Type.String(), { description: 'BCP 47 language codes both speak' }) }),
  Type.Object({ code: Type.Literal('wheelchair') }),
  Type.Object({ code: Type.Literal('noDetour') }),
  Type.Object({ code: Type.Literal('detour'), m: Type.Integer({ description: 'The detour on their trip, to 100 m' }) }),
  Type.Object({ code: Type.Literal('withinArea'), m: Type.Integer({ description: 'Their area, to 100 m: pickup and drop-off are both in it' }) }),
  Type.Object({ code: Type.Literal('covers'), dietary: Type.Array(Type.String()) }),
  Type.Object({ code: Type.Literal('busy'), n: Type.Integer({ description: 'Neighbours they already help this week (ranked a little lower to spread the work)' }) }),
]);
export type Reason = Static<typeof ReasonSchema>;

export const CandidateSchema = Type.Object({
  post: PostSchema,
  score: Type.Number({ description: 'How well it fits, 0–1 in tenths' }),
  /** From your post's true place to the candidate's public point, to 100 m: every number here is computed from what the map shows. */
  distanceM: Type.Integer({ description: "From your post's place to the candidate's public point (150–400 m from its true place), to 100 m" }),
  overlap: Type.Array(Type.Object({ start: DateTime, end: DateTime })),
  reasons: Type.Array(Type.String(), { description: 'Why it fits, in English, times in the reader\'s zone (tz)' }),
  why: Type.Array(ReasonSchema, { description: 'The same reasons in the same order, as codes and values for the client to write in its reader\'s words' }),
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
