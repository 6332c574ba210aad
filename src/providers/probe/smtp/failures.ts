/**
 * Failure mapping of the smtp probe: a TLS error, a wire failure or an unwanted reply becomes a
 * ProbeFailure with the contract's exit code (69 unavailable, 75 temporary, 76 protocol, 77
 * auth), one sentence, a hint that names the setting to change, and the server's own words.
 */
import { ExitCode, ProbeFailure, WireError } from '../../../errors.js';
import type { SmtpSettings } from './settings.js';
import { replyText, type SmtpReply, type SmtpWire } from './wire.js';

const PLAINTEXT_ANSWER = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'EPROTO',
]);
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

export function tlsFailure(code: string, message: string, s: SmtpSettings): ProbeFailure {
  const reply = `${code}: ${message}`;
  if (UNTRUSTED.has(code)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate is not trusted (${message})`,
      "fix the server's certificate chain, or trust its CA with NODE_EXTRA_CA_CERTS=ca.pem; only for a test server, SMTP_TLS_VERIFY=false",
      reply,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate does not name ${s.server}`,
      'set SMTP_SERVER to a name the certificate lists (see the reply above)',
      reply,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server's TLS certificate is not valid now (${message})`,
      "the server's administrator must renew its certificate",
      reply,
    );
  }
  if (PLAINTEXT_ANSWER.has(code) || /wrong version number|packet length too long|http request/i.test(message)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the TLS handshake with ${s.server}:${s.port} failed: the server answered in plain text`,
      s.mode === 'implicit'
        ? 'the server expects STARTTLS on this port: set SMTP_OPPORTUNISTIC_TLS=true (or use port 465 for implicit TLS)'
        : 'the server does not speak TLS after STARTTLS; check SMTP_SERVER and SMTP_PORT',
      reply,
    );
  }
  if (/unsupported protocol|protocol version/i.test(message)) {
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `the server offers only TLS older than 1.2 (${message})`,
      'TLS 1.0 and 1.1 are broken: the server must be upgraded',
      reply,
    );
  }
  return new ProbeFailure(
    ExitCode.UNAVAILABLE,
    `the TLS handshake with ${s.server}:${s.port} failed (${message})`,
    s.mode === 'implicit' ? 'if the server expects STARTTLS on this port, set SMTP_OPPORTUNISTIC_TLS=true' : undefined,
    reply,
  );
}

/** Waits for a reply, turning a wire failure into the contract's exit code and a hint. */
export async function read(
  w: SmtpWire,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
  s: SmtpSettings,
): Promise<SmtpReply> {
  try {
    return await w.readReply(timeoutMs, signal);
  } catch (err) {
    throw rethrowWire(err, what, s);
  }
}

export function rethrowWire(err: unknown, what: string, s: SmtpSettings): never {
  if (!(err instanceof WireError)) throw err;
  const where = `${s.server}:${s.port}`;
  switch (err.kind) {
    case 'timeout': {
      if (what === 'greeting') {
        const hint =
          s.mode !== 'implicit'
            ? `the server accepted the connection but said nothing: ${s.port === 465 ? 'port 465 expects implicit TLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=false' : 'if it expects implicit TLS (usually port 465), set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=false'}; SMTP_GREETING_TIMEOUT sets the wait`
            : 'the server accepted the connection but said nothing; SMTP_GREETING_TIMEOUT sets the wait';
        throw new ProbeFailure(
          ExitCode.TEMPFAIL,
          `${where} sent no greeting within ${err.message.replace(/^no reply within /, '')}`,
          hint,
          'timeout',
        );
      }
      throw new ProbeFailure(
        ExitCode.TEMPFAIL,
        `${where} did not answer ${what} (${err.message})`,
        'the server is overloaded or the connection stalled; SMTP_SOCKET_TIMEOUT sets the wait',
        'timeout',
      );
    }
    case 'aborted':
      throw new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted');
    case 'protocol':
      throw new ProbeFailure(
        ExitCode.PROTOCOL,
        `${where} did not answer ${what} in SMTP: ${err.message}`,
        'check that SMTP_SERVER and SMTP_PORT name an SMTP server',
        err.message,
      );
    case 'closed':
    case 'error':
      throw new ProbeFailure(
        ExitCode.UNAVAILABLE,
        `${where} closed the connection ${what === 'greeting' ? 'before its greeting' : `after ${what}`}${err.errno ? ` (${err.errno})` : ''}`,
        what === 'greeting' && s.mode !== 'implicit'
          ? "the server may expect implicit TLS on this port (SMTP_USE_TLS=true, SMTP_OPPORTUNISTIC_TLS=false), or refuse this client's address"
          : "the server may refuse this client's address; check its logs",
        err.errno ?? err.message,
      );
  }
}

/** A reply that is not the one wanted: 4xx temporary (75), 5xx refusal, anything else 76. */
export function refusal(reply: SmtpReply, command: string, s: SmtpSettings): ProbeFailure {
  const text = replyText(reply);
  const said = `${s.server} answered ${command} with ${text}`;
  const { code } = reply;
  if (code >= 400 && code < 500) {
    const hint =
      code === 421
        ? 'the server is shutting down or limits connections from this address; try again later'
        : command === 'MAIL FROM'
          ? 'the server deferred the sender (greylisting or a rate limit); it may pass later'
          : 'a temporary refusal: try again later';
    return new ProbeFailure(ExitCode.TEMPFAIL, said, hint, text);
  }
  if (code >= 500 && code < 600) {
    switch (command) {
      case 'greeting':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          `${s.server} refused the connection: ${text}`,
          "the server refuses this client's address (blocklist or an allow-list of IPs); ask its administrator",
          text,
        );
      case 'EHLO':
      case 'HELO':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          `relays check the EHLO name: set SMTP_LOCAL_HOSTNAME to this host's public, fully-qualified name (it sent "${s.ehloName}")`,
          text,
        );
      case 'STARTTLS':
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          'the server offers STARTTLS but refuses it; ask its administrator',
          text,
        );
      case 'MAIL FROM':
        // RFC 3207 §4: 530 also means "Must issue a STARTTLS command first".
        if (code === 530 && /STARTTLS|TLS/i.test(text)) {
          return new ProbeFailure(
            ExitCode.UNAVAILABLE,
            said,
            'the server accepts mail only over TLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)',
            text,
          );
        }
        if (code === 530) {
          return new ProbeFailure(
            ExitCode.NOPERM,
            said,
            'the server requires AUTH: set SMTP_USERNAME and SMTP_PASSWORD',
            text,
          );
        }
        return new ProbeFailure(
          ExitCode.UNAVAILABLE,
          said,
          `the server refuses to send as ${s.from ?? '?'}: set MAIL_DEFAULT_SEND_FROM to the address you log in as, or to a sender identity the provider has verified`,
          text,
        );
      default:
        return new ProbeFailure(ExitCode.UNAVAILABLE, said, undefined, text);
    }
  }
  return new ProbeFailure(
    ExitCode.PROTOCOL,
    `${s.server} gave an unexpected reply to ${command}: ${text}`,
    'check that SMTP_SERVER and SMTP_PORT name an SMTP server',
    text,
  );
}

export function authRefusal(reply: SmtpReply, s: SmtpSettings, secure: boolean): ProbeFailure {
  const text = replyText(reply);
  const said = `${s.server} refused AUTH for ${s.username ?? '?'}: ${text}`;
  const { code } = reply;
  if (code >= 400 && code < 500)
    return new ProbeFailure(
      ExitCode.TEMPFAIL,
      said,
      "a temporary refusal (454: the server's auth backend is down); try again later",
      text,
    );
  // 538 (RFC 4954 §6) and replies that name TLS: the server wants encryption first. A 535 stays a
  // wrong password even on a plain connection to a server that also offers STARTTLS.
  if (code === 538 || code === 523 || (!secure && code !== 535 && /\b(STARTTLS|TLS|encrypt)/i.test(text))) {
    return new ProbeFailure(
      ExitCode.NOPERM,
      said,
      'the server offers AUTH only after STARTTLS: set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true (usually port 587)',
      text,
    );
  }
  if (code >= 500 && code < 600) {
    return new ProbeFailure(
      ExitCode.NOPERM,
      said,
      'check SMTP_USERNAME and SMTP_PASSWORD; Gmail and Microsoft 365 need an app password (or have basic AUTH turned off), and many providers want the full address as the user name',
      text,
    );
  }
  return new ProbeFailure(ExitCode.PROTOCOL, `${s.server} gave an unexpected reply to AUTH: ${text}`, undefined, text);
}
