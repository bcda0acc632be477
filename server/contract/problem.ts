// Problems as the API answers them (RFC 9457), read by the web app as sent.
// Each carries a stable machine `code` besides its English `detail`: a
// client shows its own words for a code (the web app translates them,
// web/src/lib/api.ts), so the detail may be reworded without breaking one.
import Type from 'typebox';

/**
 * One thing wrong with a request: a JSON pointer into the part it came from,
 * what to do (English), and a stable `code`. Validation codes come from the
 * JSON-schema keyword that failed (`required`, `min_length`, `format.date_time`,
 * …, with `limit` where the keyword has one); rules of our own have codes of
 * their own (`window.end_before_start`, `blank`, …); `invalid` when none
 * more precise applies. Made without a code, it is sent as `invalid`.
 */
export interface FieldError {
  path: string;
  message: string;
  code?: string;
  /** The number the rule names ("at least 10 characters"): minLength, maxLength, minItems, maxItems, minimum, maximum. */
  limit?: number;
}

/**
 * RFC 9457 problem details, as every 4xx/5xx of the API is answered. This
 * server always sends `code` (`invalid` for a request that fails validation,
 * with `errors`; `post.not_found`, `rate_limited`, … ; else one for the
 * status, such as `not_found` or `unavailable`); it is optional here only
 * because a client also meets problems no server of ours wrote (a proxy's
 * error page, no answer at all).
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: FieldError[];
}

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'JSON pointer into the request part named in the detail' }),
  message: Type.String({ description: 'what is wrong, in English' }),
  code: Type.String({ description: 'stable: the failed JSON-schema keyword (`required`, `min_length`, `format.date_time`, …) or a rule of ours (`window.end_before_start`, `blank`, …); `invalid` otherwise' }),
  limit: Type.Optional(Type.Number({ description: 'the number the rule names, for length, count and range rules' })),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'what happened, in English, for people; may be reworded' }),
    code: Type.String({
      description:
        'stable, for programs: `invalid` (see `errors`), a specific one such as `post.not_found`, `match.state`, `rate_limited`, or one for the status (`bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `too_large`, `unavailable`, `internal`, …)',
    }),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { description: 'RFC 9457 problem details with a stable `code`' },
);
