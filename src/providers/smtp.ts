/**
 * SMTP through nodemailer. The contract's TLS table maps to nodemailer options without a silent
 * plaintext fallback: implicit TLS is `secure: true`, STARTTLS is `requireTLS: true` (refused if the
 * server does not offer it), plain is `ignoreTLS: true`. Certificates are verified unless
 * SMTP_TLS_VERIFY=false. The message goes out as prebuilt raw bytes (see mime.ts).
 *
 * SMTP_AUTH_METHOD=oauth2 logs in with AUTH XOAUTH2 through nodemailer's own XOAUTH2 step, fed by
 * our {@link TokenSource} (its `provisionCallback`): nodemailer builds the SASL string and, when the
 * server answers the token with a 334 challenge, asks once for a renewed token. What we add: the
 * token requests themselves (nodemailer has no client-credentials grant and classifies no token
 * endpoint errors), one token shared by every pooled connection, and one more attempt with a renewed
 * token when the server refuses the token outright (535/454, as Microsoft 365 does), then the refusal.
 *
 * The drain (`pool: true`) sends through our own pipelined client (smtp-client/) instead: the same
 * options, derived from the same nodemailer option object below so every key keeps its meaning,
 * and errors in nodemailer's shape, so classify.ts words them the same. nodemailer's connection
 * machinery was ~0.6 ms of CPU per message of the drain's ~1.6 ms (CPU profile, 2,000 jobs);
 * `send` and `verify-config --connect` keep nodemailer and the probe.
 */
import { isIP } from 'node:net';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { Config } from '../config/index.js';
import { tlsMode } from '../config/describe.js';
import { ConfigError, ExitCode, type DeliveryError } from '../errors.js';
import type { Mailbox } from '../message/address.js';
import type { OutgoingMessage } from '../message/types.js';
import { classifySmtpError } from './classify.js';
import { deadlineError, smtpDeadlineMs, startDeadline } from './deadline.js';
import { buildMime, type DkimOptions } from './mime.js';
import type { TokenSource } from './oauth2.js';
import { transcriptLogger } from './transcript.js';
import { SmtpPool } from './smtp-client/pool.js';
import { defaultEhloName, type SessionOptions, type SmtpLogin } from './smtp-client/session.js';
import type { Delivery, Provider, SendOptions } from './types.js';

const SMTP_DEADLINE_KEYS = 'SMTP_CONNECT_TIMEOUT, SMTP_GREETING_TIMEOUT and SMTP_SOCKET_TIMEOUT';

export interface SmtpProviderOptions {
  /** A pooled transport with SMTP_POOL_SIZE connections (drain). @defaultValue false */
  pool?: boolean | undefined;
  dkim?: DkimOptions | undefined;
  /** Required for SMTP_AUTH_METHOD=oauth2: where the XOAUTH2 access tokens come from. */
  tokens?: TokenSource | undefined;
  /** Receives the SMTP dialogue line by line, AUTH masked (`send --transcript`, `--debug`). */
  transcript?: ((line: string) => void) | undefined;
}

/** The nodemailer transport options for this configuration: the contract's TLS table. Pure. */
export function smtpTransportOptions(
  config: Config,
  pool = false,
  tokens?: TokenSource,
): SMTPTransport.Options | SMTPPool.Options {
  const v = config.values;
  const host = v['smtp.server'];
  const port = v['smtp.port'];
  if (!host || port === undefined)
    throw new ConfigError('SMTP_SERVER and SMTP_PORT are required for MAIL_TYPE=smtp', {
      hint: 'run `mailctl verify-config`',
    });
  const mode = tlsMode(v['smtp.useTls'], v['smtp.opportunisticTls']);
  if (mode === 'invalid')
    throw new ConfigError('SMTP_OPPORTUNISTIC_TLS=true needs SMTP_USE_TLS=true', {
      hint: 'run `mailctl verify-config`',
    });
  const user = v['smtp.username'];
  const pass = v['smtp.password'];
  const base: SMTPTransport.Options = {
    host,
    port,
    secure: mode === 'implicit',
    requireTLS: mode === 'starttls',
    // Plain means plain (the contract's table): no STARTTLS even when the server offers it.
    ignoreTLS: mode === 'plain',
    tls: {
      rejectUnauthorized: v['smtp.tlsVerify'] !== false,
      // SNI carries host names only (RFC 6066 §3); the certificate is still checked against an IP.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      minVersion: 'TLSv1.2',
    },
    connectionTimeout: v['smtp.connectTimeout'],
    greetingTimeout: v['smtp.greetingTimeout'],
    socketTimeout: v['smtp.socketTimeout'],
    dnsTimeout: v['smtp.connectTimeout'],
    logger: false,
    debug: false,
    ...(v['smtp.localHostname'] ? { name: v['smtp.localHostname'] } : {}),
    ...(v['smtp.authMethod'] === 'oauth2'
      ? { auth: xoauth2Auth(user, tokens) }
      : user !== undefined && pass !== undefined && user.trim() !== '' && pass !== ''
        ? { auth: { user, pass } }
        : {}),
  };
  if (!pool) return base;
  return { ...base, pool: true, maxConnections: v['smtp.poolSize'], maxMessages: 100 } as SMTPPool.Options;
}

/**
 * nodemailer's XOAUTH2 login, its token asked of `tokens` for every new connection (so that
 * nodemailer keeps no copy that could outlive a refresh).
 */
function xoauth2Auth(user: string | undefined, tokens: TokenSource | undefined): SMTPTransport.Options['auth'] {
  if (!user || !tokens)
    throw new ConfigError('SMTP_AUTH_METHOD=oauth2 needs SMTP_USERNAME and the SMTP_OAUTH2_* settings', {
      hint: 'run `mailctl verify-config`',
    });
  // nodemailer calls this as a method of its XOAuth2 object, whose accessToken is the one the server just refused.
  function provisionCallback(
    this: { accessToken?: string | false } | undefined,
    _user: string,
    renew: boolean,
    done: (err: Error | null, accessToken?: string, expires?: number) => void,
  ): void {
    const refused = typeof this?.accessToken === 'string' ? this.accessToken : undefined;
    (renew ? tokens!.renew(refused) : tokens!.get()).then(
      // expires 1 (long past): nodemailer asks again for the next connection instead of caching.
      (token) => done(null, token.value, 1),
      // Wrapped: nodemailer rewrites the error's code; classifySmtpError finds ours in `cause`.
      (err: unknown) => done(new Error((err as Error).message, { cause: err })),
    );
  }
  return { type: 'OAuth2', user, provisionCallback } as SMTPTransport.Options['auth'];
}

/** A refusal of the XOAUTH2 token itself (not of the connection or the message). */
function isTokenRefusal(err: DeliveryError): boolean {
  return err.reply.command === 'AUTH XOAUTH2' && err.reply.provider === 'smtp' && err.exitCode !== ExitCode.UNAVAILABLE;
}

/** The pipelined client's options, read off the nodemailer options of the same configuration. Pure. */
export function smtpSessionOptions(
  options: SMTPTransport.Options,
  tokens?: TokenSource,
  transcript?: ((line: string) => void) | undefined,
): SessionOptions {
  const auth = options.auth as { type?: string; user?: string; pass?: string } | undefined;
  let login: SmtpLogin | undefined;
  if (auth?.type === 'OAuth2' && auth.user && tokens) login = { method: 'oauth2', user: auth.user, tokens };
  else if (auth?.user !== undefined && auth.pass !== undefined)
    login = { method: 'password', user: auth.user, pass: auth.pass };
  return {
    host: options.host ?? 'localhost',
    port: Number(options.port ?? 25),
    mode: options.secure ? 'implicit' : options.requireTLS ? 'starttls' : 'plain',
    tls: options.tls ?? {},
    ehloName: options.name ?? defaultEhloName(),
    timeouts: {
      connect: options.connectionTimeout ?? 10_000,
      greeting: options.greetingTimeout ?? 10_000,
      socket: options.socketTimeout ?? 30_000,
    },
    login,
    transcript,
  };
}

/** How one message goes out: nodemailer's transport (send) or the pipelined pool (drain). */
interface Wire {
  sendRaw(envelope: { from: string; to: string[] }, raw: Buffer, signal: AbortSignal): Promise<SentInfo>;
  close(): void;
}

interface SentInfo {
  response?: string | undefined;
  accepted: string[];
  rejected: string[];
}

function nodemailerWire(options: SMTPTransport.Options, transcript: SmtpProviderOptions['transcript']): Wire {
  // Loaded on first use, not with this module: a drain sends through smtp-client/ and made
  // nodemailer load all its transports for nothing (~40 files, ~25 ms of every drain's start).
  let transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;
  const load = (): Promise<Transporter<SMTPTransport.SentMessageInfo>> =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        ...options,
        // The client and server lines only (not the body): nodemailer's transaction log.
        ...(transcript ? { logger: transcriptLogger(transcript), transactionLog: true } : {}),
      }),
    ));
  const flat = (list: unknown[] | undefined): string[] =>
    (list ?? []).map((a) => (typeof a === 'string' ? a : (a as { address: string }).address));
  return {
    async sendRaw(envelope, raw, signal) {
      const info = await (await load()).sendMail({ envelope, raw, signal });
      return {
        response: typeof info.response === 'string' ? info.response : undefined,
        accepted: flat(info.accepted as unknown[]),
        rejected: flat(info.rejected as unknown[]),
      };
    },
    close: () => void transport?.then((t) => t.close()),
  };
}

function pipelinedWire(config: Config, options: SMTPTransport.Options, provider: SmtpProviderOptions): Wire {
  const pool = new SmtpPool(
    smtpSessionOptions(options, provider.tokens, provider.transcript),
    config.values['smtp.poolSize'],
  );
  return { sendRaw: (envelope, raw, signal) => pool.send(envelope, raw, signal), close: () => pool.close() };
}

/** The envelope's recipients, in a packed array (see message/compose.ts on map()). */
function addressesOf(mailboxes: readonly Mailbox[]): string[] {
  const out: string[] = [];
  for (const m of mailboxes) out.push(m.address);
  return out;
}

export function createSmtpProvider(config: Config, options: SmtpProviderOptions = {}): Provider {
  const { tokens } = options;
  const transportOptions = smtpTransportOptions(config, false, tokens) as SMTPTransport.Options;
  const wire = options.pool
    ? pipelinedWire(config, transportOptions, options)
    : nodemailerWire(transportOptions, options.transcript);
  let closed = false;
  const timeouts = {
    connect: transportOptions.connectionTimeout ?? 10_000,
    greeting: transportOptions.greetingTimeout ?? 10_000,
    socket: transportOptions.socketTimeout ?? 30_000,
  };
  const peer = `${transportOptions.host ?? '?'}:${transportOptions.port ?? '?'}`;
  return {
    name: 'smtp',
    async send(message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<Delivery> {
      const raw = sendOptions.raw ?? (await buildMime(message, { dkim: options.dkim }));
      // The token first: its endpoint's failure is then its own, and no SMTP session idles while it is fetched.
      const before = tokens ? (await tokens.get(sendOptions.signal)).value : undefined;
      try {
        return await deliver(message, raw, sendOptions);
      } catch (err) {
        const failure = classifySmtpError(err, peer);
        if (!tokens || !isTokenRefusal(failure)) throw failure;
        // Refused: the token held when this send began is replaced (if another connection replaced it
        // meanwhile, that one is used); one more attempt, then the refusal is reported.
        await tokens.renew(before);
        try {
          return await deliver(message, raw, sendOptions);
        } catch (again) {
          throw classifySmtpError(again, peer);
        }
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      wire.close();
    },
  };

  async function deliver(message: OutgoingMessage, raw: Buffer, sendOptions: SendOptions): Promise<Delivery> {
    const deadline = startDeadline(smtpDeadlineMs(timeouts, message.to.length), sendOptions.signal);
    let info: SentInfo;
    try {
      info = await wire.sendRaw({ from: message.from.address, to: addressesOf(message.to) }, raw, deadline.signal);
    } catch (err) {
      if (deadline.expired) throw deadlineError('smtp', `the SMTP server ${peer}`, deadline.ms, SMTP_DEADLINE_KEYS);
      throw err;
    } finally {
      deadline.end();
    }
    return { provider: 'smtp', messageId: message.messageId, ...info };
  }
}
