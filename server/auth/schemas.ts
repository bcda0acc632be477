import Type, { type Static } from 'typebox';

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  displayName: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof UserSchema>;

export const UserReplySchema = Type.Object({ user: UserSchema });

// Checked after trimming (phones' keyboards add a trailing space), in the route.
const Email = Type.String({ minLength: 1, maxLength: 254, description: 'an e-mail address' });

export const SignupBodySchema = Type.Object(
  {
    email: Email,
    // NIST SP 800-63B: at least 8 characters, allow long passphrases.
    password: Type.String({ minLength: 8, maxLength: 256 }),
    displayName: Type.String({ minLength: 1, maxLength: 60 }),
  },
  { additionalProperties: false },
);
export type SignupBody = Static<typeof SignupBodySchema>;

export const LoginBodySchema = Type.Object(
  {
    email: Type.String({ maxLength: 254 }),
    password: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBodySchema>;
