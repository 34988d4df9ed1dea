// A real SMTP server for the delivery tests (smtp-server), parsing what it
// receives (mailparser). Tests steer its answers: refuse a recipient with a code,
// or hold a message unanswered (as a server would while the sender is killed).
import type { AddressObject, ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Queue } from './queue.js';
import { freePort, sleep } from './services.js';

export type Mail = {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Header values by lower-case name. */
  header(name: string): string | undefined;
};

export type SmtpSink = {
  url: string;
  port: number;
  /** Every message accepted, in arrival order. */
  accepted(): Mail[];
  /** Every message whose DATA arrived: accepted, refused or held. */
  seen(): Mail[];
  /** The next accepted message matching `match` not taken before; waits up to `ms`. */
  take(match: (mail: Mail) => boolean, what: string, ms?: number): Promise<Mail>;
  /** Messages whose DATA was read but never answered (see `hold`). */
  held: Queue<Mail>;
  /** The code to answer a message's DATA with (undefined: accept it). */
  answer(rule: (mail: Mail) => number | undefined): void;
  /** Read the next messages' DATA but never answer it. */
  hold(on: boolean): void;
  close(): Promise<void>;
};

/** Starts a sink on `port` (a free one by default). */
export async function startSmtpSink(port?: number): Promise<SmtpSink> {
  const chosen = port ?? (await freePort());
  const held = new Queue<Mail>();
  const accepted: Mail[] = [];
  const seen: Mail[] = [];
  const taken = new Set<Mail>();
  let rule: (mail: Mail) => number | undefined = () => undefined;
  let holding = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Stopping must not wait for pooled connections the server under test keeps open.
    closeTimeout: 1_000,
    onData(stream, _session, callback) {
      const hold = holding;
      simpleParser(stream).then(
        (parsed) => {
          const mail = toMail(parsed);
          seen.push(mail);
          if (hold) {
            held.push(mail);
            return; // never answered: the sender waits until it gives up or dies
          }
          const code = rule(mail);
          if (code !== undefined) {
            callback(Object.assign(new Error(`refused with ${code}`), { responseCode: code }));
            return;
          }
          accepted.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(chosen, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {}); // a client cut off mid-session is not the test's failure
  return {
    url: `smtp://127.0.0.1:${chosen}`,
    port: chosen,
    held,
    accepted: () => accepted,
    seen: () => seen,
    async take(match, what, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const mail = accepted.find((m) => !taken.has(m) && match(m));
        if (mail) {
          taken.add(mail);
          return mail;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await sleep(25);
      }
    },
    answer(next) {
      rule = next;
    },
    hold(on) {
      holding = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function toMail(parsed: ParsedMail): Mail {
  const to = [parsed.to ?? []].flat() as AddressObject[];
  return {
    to: to.flatMap((a) => a.value.map((v) => v.address ?? '')).join(','),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    messageId: parsed.messageId ?? '',
    header(name) {
      const value = parsed.headerLines.find((h) => h.key === name.toLowerCase());
      // headerLines keep "Name: value" as written, folded lines included.
      return value?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');
    },
  };
}
