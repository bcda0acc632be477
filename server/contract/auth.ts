import Type, { type Static } from 'typebox';
import { StringEnum } from './types';

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

// The policy (server/auth/policy.ts) is checked in the route, so every way a
// password falls short gets the same kind of message; long passphrases are welcome.
const NewPassword = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'at least 10 characters (spaces count), not your e-mail address or name, and not a common or easily guessed password',
});

/** The languages mails and pushes are written in. */
export const MAIL_LOCALES = ['en', 'es'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

export const SignupBodySchema = Type.Object(
  {
    email: Email,
    password: NewPassword,
    displayName: Type.String({ minLength: 1, maxLength: 60 }),
    locale: Type.Optional(
      StringEnum(MAIL_LOCALES, { description: 'the language of mails and pushes, from the first (the verification mail) on; default: from Accept-Language, else en' }),
    ),
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

export const ChangePasswordBodySchema = Type.Object(
  {
    currentPassword: Type.String({ maxLength: 256 }),
    newPassword: NewPassword,
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBodySchema>;

export const SessionSchema = Type.Object({
  id: Type.String({ description: 'names the session (not its token: it signs nobody in)' }),
  createdAt: Type.String({ format: 'date-time', description: 'when it signed in' }),
  lastSeenAt: Type.String({ format: 'date-time', description: 'its last request, to within five minutes' }),
  userAgent: Type.Union([Type.String(), Type.Null()], { description: 'the browser and system, shortened ("Firefox on Android")' }),
  current: Type.Boolean({ description: 'the session of this request' }),
});
export type Session = Static<typeof SessionSchema>;

export const SessionsReplySchema = Type.Object({ items: Type.Array(SessionSchema) });

export const SessionParamsSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{12}$', description: 'a session id as listed' }),
});

export const EndedSessionsReplySchema = Type.Object({
  ended: Type.Integer({ description: 'how many other sessions were signed out' }),
});

/** A single-use link's token, as the mailed link carries it. */
const Token = Type.String({ minLength: 20, maxLength: 200, description: 'the token from the mailed link' });

export const VerifyEmailBodySchema = Type.Object({ token: Token }, { additionalProperties: false });

export const EmailChangeBodySchema = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 256, description: 'your current password' }) },
  { additionalProperties: false },
);
export const EmailChangeReplySchema = Type.Object({ pendingEmail: Type.String({ description: 'where the link went; the account keeps its address until it is opened' }) });
export const EmailChangeConfirmBodySchema = Type.Object({ token: Token }, { additionalProperties: false });
export const EmailChangeConfirmReplySchema = Type.Object({ email: Type.String({ description: "the account's address now, verified" }) });

export const PasswordResetBodySchema = Type.Object({ email: Email }, { additionalProperties: false });

export const PasswordResetConfirmBodySchema = Type.Object({ token: Token, password: NewPassword }, { additionalProperties: false });
