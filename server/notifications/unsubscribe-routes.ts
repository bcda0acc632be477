// One-click unsubscribe (RFC 8058): every mail's List-Unsubscribe link. A
// mail provider POSTs it as a form from its own servers, with no session:
// the signed token in the URL is the authority. Opening the link in a
// browser (GET) changes nothing; it shows a button that POSTs.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { loadSecret } from '../../db';
import { ProblemSchema } from '../contract/problem';
import { badRequest } from '../http/problem';
import { readUnsubscribeToken, unsubscribe } from './email';

const Query = Type.Object({ token: Type.String({ minLength: 10, maxLength: 1000 }) }, { additionalProperties: false });

/**
 * The pages' one style sheet, inline: the app's policy allows no inline
 * style, so these routes name this sheet's hash in theirs (CSP 3 hash
 * source) rather than opening 'unsafe-inline'.
 */
const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}button{font-size:1.1rem;padding:.6rem 1rem;min-height:3rem}';
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;
const PAGE_CSP = {
  helmet: {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'base-uri': ["'none'"],
        'style-src': [STYLE_HASH],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
  },
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

const unsubscribeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const key = await loadSecret(app.db, 'unsubscribe');
  // The provider's one-click POST is a form (`List-Unsubscribe=One-Click`), multipart as RFC 8058 §3.1
  // says it SHOULD be or urlencoded as it MAY be: read (within the body limit) and ignored, the token says all.
  app.addContentTypeParser(['multipart/form-data', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_request, _body, done) => done(null, {}));

  const read = (token: string) => {
    const u = readUnsubscribeToken(key, token);
    if (!u) {
      throw badRequest('This unsubscribe link is not one Aidmap made, or it was cut short. Change your mails in your account settings instead.', 'link.invalid');
    }
    return u;
  };

  app.post(
    '/unsubscribe',
    {
      config: { tokenAuthorized: true, ...PAGE_CSP },
      schema: {
        tags: ['notifications'],
        summary: 'One-click unsubscribe (RFC 8058): stop mails of the kinds the link names',
        querystring: Query,
        response: { 200: Type.String(), 204: Type.Null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await unsubscribe(app.db, read(request.query.token));
      // A person who pressed the page's button sees a page; a mail provider gets 204.
      if (request.headers.accept?.includes('text/html')) {
        return reply.type('text/html; charset=utf-8').send(page('Done', '<h1>Done</h1><p>You will get no more mails of these kinds.</p><p lang="es">Listo: no recibirá más correos de este tipo.</p>'));
      }
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/unsubscribe',
    {
      config: PAGE_CSP,
      schema: {
        tags: ['notifications'],
        summary: 'The unsubscribe link opened in a browser: a page with a button (a GET changes nothing)',
        querystring: Query,
        response: { 200: Type.String(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      read(request.query.token);
      const action = `/api/unsubscribe?token=${encodeURIComponent(request.query.token)}`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Stop these mails',
            `<h1>Stop these mails?</h1><p>Aidmap will not send you mails of these kinds any more. Your inbox in the app still shows everything.</p>
<form method="post" action="${action}"><button type="submit">Stop these mails</button></form>
<p lang="es">¿Dejar de recibir estos correos? Pulse el botón. Su bandeja de avisos en la aplicación sigue mostrándolo todo.</p>`,
          ),
        );
    },
  );
};

export default unsubscribeRoutes;
