/**
 * The AUTH stages of the smtp probe: PLAIN or LOGIN with SMTP_PASSWORD, or XOAUTH2 with a token
 * from the configured endpoint. The password, the token and every base64 form of them are shown
 * as ********.
 */
import { MASK } from '../../../config/redact.js';
import { DeliveryError, ExitCode, ProbeFailure } from '../../../errors.js';
import { XOAUTH2_REFUSED_HINT } from '../../classify.js';
import { xoauth2Payload, type TokenSource } from '../../oauth2.js';
import type { StageRecorder } from '../stage-recorder.js';
import { authRefusal, rethrowWire } from './failures.js';
import type { SmtpSettings } from './settings.js';
import { replyText, type SmtpReply, type SmtpWire } from './wire.js';

export async function auth(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  ext: Map<string, string[]>,
  secure: boolean,
  signal: AbortSignal,
): Promise<void> {
  const user = s.username ?? '';
  const pass = s.password ?? '';
  const offered = ext.get('AUTH');
  if (!offered) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        'SMTP_USERNAME is set but the server does not offer AUTH',
        !secure && ext.has('STARTTLS')
          ? 'the server offers AUTH only after STARTTLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)'
          : !secure
            ? 'most servers offer AUTH only over TLS: use port 587 with SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true, or 465 with implicit TLS; for a relay without AUTH, unset SMTP_USERNAME and SMTP_PASSWORD'
            : "this looks like a relay without AUTH: unset SMTP_USERNAME and SMTP_PASSWORD, or use the provider's submission port (587)",
        'AUTH not in the EHLO reply',
      );
    });
    return;
  }
  const mechanism = offered.includes('PLAIN') ? 'PLAIN' : offered.includes('LOGIN') ? 'LOGIN' : undefined;
  if (!mechanism) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        `the server offers AUTH ${offered.join(' ')}, and mailctl speaks PLAIN and LOGIN`,
        offered.includes('XOAUTH2')
          ? 'the server wants OAuth2 (Microsoft 365 and Google have retired passwords): use an app password or a provider that accepts one'
          : 'ask the provider for PLAIN or LOGIN over TLS',
        `AUTH ${offered.join(' ')}`,
      );
    });
    return;
  }
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const check = (reply: SmtpReply, want: number): void => {
    if (reply.code === want) return;
    throw authRefusal(reply, s, secure);
  };
  // The password and every base64 form of it are shown as ******** (RFC 4616 / draft LOGIN).
  if (mechanism === 'PLAIN') {
    await rec.stage('auth', `AUTH PLAIN ${MASK}`, async (stage) => {
      let reply = await w
        .command(`AUTH PLAIN ${b64(`\u0000${user}\u0000${pass}`)}`, s.socketTimeout, signal)
        .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
      // Some servers ignore the initial response and ask for it with an empty 334.
      if (reply.code === 334)
        reply = await w
          .command(b64(`\u0000${user}\u0000${pass}`), s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
      stage.reply = `${replyText(reply)} (as ${user})`;
      check(reply, 235);
    });
    return;
  }
  await rec.stage('auth', `AUTH LOGIN; username ${user}; password ${MASK}`, async (stage) => {
    let reply = await w.command('AUTH LOGIN', s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    if (reply.code === 334)
      reply = await w.command(b64(user), s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    if (reply.code === 334)
      reply = await w.command(b64(pass), s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    stage.reply = `${replyText(reply)} (as ${user})`;
    check(reply, 235);
  });
}

/**
 * SMTP_AUTH_METHOD=oauth2: a `token` stage (endpoint, grant, scope, lifetime; never the token),
 * then `AUTH XOAUTH2` with the server's reply. A 334 is the server's error challenge (Google's
 * XOAUTH2 protocol): its JSON is shown, an empty line sent, and the final reply reported.
 */
export async function xoauth2(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  ext: Map<string, string[]>,
  tokens: TokenSource,
  signal: AbortSignal,
): Promise<void> {
  const t = tokens.settings;
  const scope = t.scope ? `scope ${t.scope}` : 'no scope (the consent fixed it)';
  const token = await rec.stage('token', `POST ${t.tokenUrl} (${t.grant} grant, ${scope})`, async (stage) => {
    try {
      const got = await tokens.get(signal);
      const seconds = Math.round((got.expiresAt - got.fetchedAt) / 1000);
      stage.reply = `a Bearer token for ${t.user}, valid ${seconds} s (until ${new Date(got.expiresAt).toISOString()})`;
      return got;
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      throw new ProbeFailure(err.exitCode, err.message, err.hint, err.reply.reply ?? err.reply.errno ?? err.message);
    }
  });
  const offered = ext.get('AUTH') ?? [];
  if (!offered.includes('XOAUTH2')) {
    await rec.stage('auth', undefined, () => {
      throw new ProbeFailure(
        ExitCode.NOPERM,
        `the server does not offer AUTH XOAUTH2${offered.length > 0 ? ` (it offers ${offered.join(' ')})` : ''}`,
        'Microsoft 365: smtp.office365.com port 587 with STARTTLS; Google: smtp.gmail.com 587 or 465; a server without OAuth2 wants SMTP_AUTH_METHOD=password',
        offered.length > 0 ? `AUTH ${offered.join(' ')}` : 'AUTH not in the EHLO reply',
      );
    });
    return;
  }
  const initial = Buffer.from(xoauth2Payload(t.user, token.value), 'utf8').toString('base64');
  await rec.stage('auth', `AUTH XOAUTH2 ${MASK}`, async (stage) => {
    let reply = await w
      .command(`AUTH XOAUTH2 ${initial}`, s.socketTimeout, signal)
      .catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    let challenge = '';
    if (reply.code === 334) {
      challenge = ` (challenge: ${Buffer.from(reply.lines[0]!.slice(4).trim(), 'base64').toString('utf8').trim()})`;
      reply = await w.command('', s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'AUTH', s));
    }
    stage.reply = `${replyText(reply)}${challenge} (as ${t.user})`;
    if (reply.code === 235) return;
    const text = replyText(reply);
    const said = `${s.server} refused the OAuth2 token for ${t.user}: ${text}`;
    const shown = `${text}${challenge}`;
    if (reply.code >= 400 && reply.code < 500)
      throw new ProbeFailure(ExitCode.TEMPFAIL, said, 'a temporary refusal; try again later', shown);
    if (reply.code >= 500 && reply.code < 600)
      throw new ProbeFailure(ExitCode.NOPERM, said, XOAUTH2_REFUSED_HINT, shown);
    throw new ProbeFailure(
      ExitCode.PROTOCOL,
      `${s.server} gave an unexpected reply to AUTH: ${text}`,
      undefined,
      shown,
    );
  });
}
