// Problems as the API answers them (RFC 9457), read by the web app as sent.
import Type from 'typebox';

/** One thing wrong with a request: a JSON pointer into the part it came from, and what to do. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as every 4xx/5xx of the API is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);
