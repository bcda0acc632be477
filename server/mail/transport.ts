// Sending mail: over SMTP (SMTP_URL) with nodemailer, or, when no server is
// configured, into files under DATA_DIR/mail so the two-command start works
// and a developer can open the links. A send that fails throws: the job
// that sends it is tried again later.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  log: { info(obj: object, msg: string): void };
}

/** A person waits on these at most: a server that does not answer is tried again later, not waited for. */
const CONNECT_TIMEOUT_MS = 5000;
const SOCKET_TIMEOUT_MS = 15_000;

export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      maxConnections: 5,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      greetingTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
    } as SMTPPool.Options);
    return {
      async send(mail) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text, headers: mail.headers });
      },
      close: () => transport.close(),
    };
  }
  const dir = join(options.dataDir, 'mail');
  let n = 0;
  return {
    async send(mail) {
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++n}.eml`);
      const head = [`From: ${options.from}`, `To: ${mail.to}`, `Subject: ${mail.subject}`, ...Object.entries(mail.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
      await writeFile(file, `${head.join('\n')}\n\n${mail.text}\n`, { mode: 0o600 });
      // The subject only: the body may hold a single-use link.
      options.log.info({ mail: { subject: mail.subject, file } }, 'no SMTP_URL: the mail was written to a file');
    },
    close: () => {},
  };
}
