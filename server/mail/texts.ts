// What the mails say, in plain text, in English and Spanish: the
// notifications waiting for a person (one mail for all of them), the link
// that verifies an address, and the link that resets a password. Short
// sentences, the action first, every link spelled out in full.
import type { NotificationKind } from '../contract/notifications';

export type MailLocale = 'en' | 'es';

export function mailLocale(locale: string | null | undefined): MailLocale {
  return locale === 'es' ? 'es' : 'en';
}

/** A notification as a mail lists it. */
export interface MailItem {
  kind: NotificationKind;
  title?: string;
  actorName?: string;
  text?: string;
  /** The page it is about, absolute. */
  url: string;
}

const LINES: Record<MailLocale, Record<NotificationKind, (i: MailItem) => string>> = {
  en: {
    'match.proposed': (i) => `${i.actorName ?? 'Someone'} proposed a match for "${i.title}". Please answer it.`,
    'match.accepted': (i) => `${i.actorName ?? 'Someone'} accepted the match for "${i.title}".`,
    'match.declined': (i) => `${i.actorName ?? 'Someone'} declined the match for "${i.title}".`,
    'match.cancelled': (i) => `The match for "${i.title}" was cancelled${i.actorName ? ` by ${i.actorName}` : ''}.`,
    'match.completed': (i) => `The match for "${i.title}" is done.`,
    'message.created': (i) => `${i.actorName ?? 'Someone'} wrote about "${i.title}": ${i.text ?? ''}`,
    still_needed: (i) => `Is "${i.title}" still needed? Nobody has offered yet, and it is soon.`,
    proposal_expired: (i) => `A proposal for "${i.title}" got no answer in time and was withdrawn.`,
    late_cancellation: (i) => `A helper cancelled "${i.title}" less than a day before. It may need someone else.`,
    need_nearby: (i) => `A new need near you: "${i.title}".`,
  },
  es: {
    'match.proposed': (i) => `${i.actorName ?? 'Alguien'} propuso una coincidencia para «${i.title}». Por favor, respóndala.`,
    'match.accepted': (i) => `${i.actorName ?? 'Alguien'} aceptó la coincidencia para «${i.title}».`,
    'match.declined': (i) => `${i.actorName ?? 'Alguien'} rechazó la coincidencia para «${i.title}».`,
    'match.cancelled': (i) => `Se canceló la coincidencia para «${i.title}»${i.actorName ? ` (lo hizo ${i.actorName})` : ''}.`,
    'match.completed': (i) => `La coincidencia para «${i.title}» está hecha.`,
    'message.created': (i) => `${i.actorName ?? 'Alguien'} escribió sobre «${i.title}»: ${i.text ?? ''}`,
    still_needed: (i) => `¿Todavía necesita «${i.title}»? Nadie se ha ofrecido aún y es pronto.`,
    proposal_expired: (i) => `Una propuesta para «${i.title}» no tuvo respuesta a tiempo y se retiró.`,
    late_cancellation: (i) => `Un voluntario canceló «${i.title}» con menos de un día. Puede necesitar a otra persona.`,
    need_nearby: (i) => `Una nueva necesidad cerca de usted: «${i.title}».`,
  },
};

const WORDS = {
  en: {
    hello: (name: string) => `Hello ${name},`,
    oneNew: 'Something happened on Aidmap while you were away:',
    manyNew: (n: number) => `${n} things happened on Aidmap while you were away:`,
    subjectOne: (line: string) => (line.length > 90 ? `${line.slice(0, 89)}…` : line),
    subjectMany: (n: number) => `${n} new things on Aidmap`,
    open: 'Open:',
    inbox: 'Everything is in your inbox:',
    stop: 'To stop mails like these, change your notification settings:',
    verifySubject: 'Please confirm your e-mail address for Aidmap',
    verifyBody: 'Please confirm that this address is yours by opening this link (it works for 24 hours):',
    verifyWhy: 'Until then Aidmap sends you no other mail. If you did not sign up, ignore this mail.',
    resetSubject: 'Reset your Aidmap password',
    resetBody: 'Someone (we hope you) asked to reset the password of your Aidmap account. To choose a new one, open this link within an hour:',
    resetWhy: 'It works once. If you did not ask, ignore this mail: your password stays as it is.',
    changeSubject: 'Confirm your new e-mail address for Aidmap',
    changeBody: 'To use this address for your Aidmap account from now on, open this link (it works for 24 hours):',
    changeWhy: 'Until then your account keeps its old address. If you did not ask for this, ignore this mail.',
    noticeSubject: 'Someone asked to change your Aidmap address',
    noticeBody: (to: string) => `Someone signed in to your Aidmap account asked to use ${to} instead of this address. The change happens only if the link we sent there is opened.`,
    noticeWhy: 'If it was not you, change your password now: on your account page, or with "Forgot your password?" when you sign in. That signs everyone else out of your account.',
    bye: '— Aidmap',
  },
  es: {
    hello: (name: string) => `Hola, ${name}:`,
    oneNew: 'Pasó algo en Aidmap mientras no estaba:',
    manyNew: (n: number) => `Pasaron ${n} cosas en Aidmap mientras no estaba:`,
    subjectOne: (line: string) => (line.length > 90 ? `${line.slice(0, 89)}…` : line),
    subjectMany: (n: number) => `${n} novedades en Aidmap`,
    open: 'Abrir:',
    inbox: 'Todo está en su bandeja de avisos:',
    stop: 'Para dejar de recibir estos correos, cambie sus ajustes de avisos:',
    verifySubject: 'Confirme su correo electrónico para Aidmap',
    verifyBody: 'Confirme que esta dirección es suya abriendo este enlace (funciona durante 24 horas):',
    verifyWhy: 'Hasta entonces Aidmap no le envía otros correos. Si usted no se registró, ignore este correo.',
    resetSubject: 'Restablecer su contraseña de Aidmap',
    resetBody: 'Alguien (esperamos que usted) pidió restablecer la contraseña de su cuenta de Aidmap. Para elegir una nueva, abra este enlace antes de una hora:',
    resetWhy: 'Funciona una vez. Si no lo pidió, ignore este correo: su contraseña no cambia.',
    changeSubject: 'Confirme su nueva dirección de correo para Aidmap',
    changeBody: 'Para usar esta dirección en su cuenta de Aidmap a partir de ahora, abra este enlace (funciona durante 24 horas):',
    changeWhy: 'Hasta entonces su cuenta conserva la dirección anterior. Si usted no lo pidió, ignore este correo.',
    noticeSubject: 'Alguien pidió cambiar su dirección en Aidmap',
    noticeBody: (to: string) => `Alguien que inició sesión en su cuenta de Aidmap pidió usar ${to} en lugar de esta dirección. El cambio solo ocurre si se abre el enlace que enviamos allí.`,
    noticeWhy: 'Si no fue usted, cambie ahora su contraseña: en la página de su cuenta, o con «¿Olvidó su contraseña?» al iniciar sesión. Así se cierran todas las demás sesiones de su cuenta.',
    bye: '— Aidmap',
  },
} as const;

/** One mail for every notification waiting for a person. */
export function digestMail(locale: MailLocale, name: string, items: MailItem[], links: { inbox: string; settings: string }): { subject: string; text: string } {
  const w = WORDS[locale];
  const lines = items.map((i) => LINES[locale][i.kind](i));
  const subject = items.length === 1 ? w.subjectOne(lines[0]!) : w.subjectMany(items.length);
  const body = [
    w.hello(name),
    '',
    items.length === 1 ? w.oneNew : w.manyNew(items.length),
    '',
    ...items.flatMap((i, n) => [`- ${lines[n]}`, `  ${w.open} ${i.url}`, '']),
    w.inbox,
    links.inbox,
    '',
    w.stop,
    links.settings,
    '',
    w.bye,
  ];
  return { subject, text: body.join('\n') };
}

export function verifyMail(locale: MailLocale, name: string, link: string): { subject: string; text: string } {
  const w = WORDS[locale];
  return { subject: w.verifySubject, text: [w.hello(name), '', w.verifyBody, '', link, '', w.verifyWhy, '', w.bye].join('\n') };
}

export function resetMail(locale: MailLocale, name: string, link: string): { subject: string; text: string } {
  const w = WORDS[locale];
  return { subject: w.resetSubject, text: [w.hello(name), '', w.resetBody, '', link, '', w.resetWhy, '', w.bye].join('\n') };
}

export function changeMail(locale: MailLocale, name: string, link: string): { subject: string; text: string } {
  const w = WORDS[locale];
  return { subject: w.changeSubject, text: [w.hello(name), '', w.changeBody, '', link, '', w.changeWhy, '', w.bye].join('\n') };
}

/** To the old address: a move was asked for; where to go if it was not them. */
export function changeNoticeMail(locale: MailLocale, name: string, newEmail: string, accountLink: string): { subject: string; text: string } {
  const w = WORDS[locale];
  return { subject: w.noticeSubject, text: [w.hello(name), '', w.noticeBody(newEmail), '', w.noticeWhy, accountLink, '', w.bye].join('\n') };
}
