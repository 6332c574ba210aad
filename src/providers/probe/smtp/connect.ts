/**
 * Socket and TLS set-up for the smtp probe: resolve the host (bounded by SMTP_CONNECT_TIMEOUT),
 * connect to each address in turn, and the TLS handshake that records version, cipher and
 * certificate. Each wait ends on its event, an error, its timeout or an abort, never later.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { ExitCode, ProbeFailure } from '../../../errors.js';
import type { ProbeDeps, ProbeStage } from '../../types.js';
import { tlsFailure } from './failures.js';
import type { SmtpSettings } from './settings.js';

export async function resolveHost(
  host: string,
  timeoutMs: number,
  signal: AbortSignal,
  resolve: NonNullable<ProbeDeps['lookup']>,
): Promise<string[]> {
  if (isIP(host)) return [host];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProbeFailure(
              ExitCode.TEMPFAIL,
              `resolving ${host} took longer than ${timeoutMs} ms`,
              "the DNS resolver is slow or unreachable; check /etc/resolv.conf (or the container's DNS)",
              'timeout',
            ),
          ),
        timeoutMs,
      );
      onAbort = () => reject(new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const found = await Promise.race([resolve(host), bounded]);
    return found.map((a) => a.address);
  } catch (err) {
    if (err instanceof ProbeFailure) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const temporary = code === 'EAI_AGAIN';
    throw new ProbeFailure(
      temporary ? ExitCode.TEMPFAIL : ExitCode.UNAVAILABLE,
      `cannot resolve SMTP_SERVER ${host} (${code})`,
      temporary
        ? "the DNS server did not answer; try again, or check this machine's resolver"
        : 'check the spelling of SMTP_SERVER; inside a container, check that its DNS can see this name',
      code,
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Tries each address in turn (as an MTA does), each bounded by SMTP_CONNECT_TIMEOUT. */
export async function connectAny(addresses: readonly string[], s: SmtpSettings, signal: AbortSignal): Promise<Socket> {
  const failures: string[] = [];
  let last: ProbeFailure | undefined;
  for (const address of addresses) {
    try {
      return await connectOne(address, s, signal);
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      if (err.reply === 'interrupted') throw err;
      failures.push(`${address}: ${err.reply ?? err.message}`);
      last = err;
    }
  }
  const reply = failures.length === 1 ? last?.reply : failures.join('; ');
  if (!last) throw new ProbeFailure(ExitCode.UNAVAILABLE, `no address to connect to for ${s.server}`);
  throw new ProbeFailure(last.exitCode, last.message, last.hint, reply);
}

/**
 * Waits for `okEvent` on a socket, once: an `error`, the timeout or an abort fails it instead.
 * Listeners and the timer are removed either way; a failed socket is destroyed.
 */
function settle<S extends Socket>(
  sock: S,
  okEvent: 'connect' | 'secureConnect',
  how: {
    timeoutMs: number;
    signal: AbortSignal;
    onOk?: () => void;
    onError: (err: NodeJS.ErrnoException) => ProbeFailure;
    onTimeout: () => ProbeFailure;
  },
): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const done = (err?: ProbeFailure): void => {
      clearTimeout(timer);
      how.signal.removeEventListener('abort', onAbort);
      sock.off(okEvent, onOk);
      sock.off('error', onError);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(sock);
    };
    const onOk = (): void => {
      how.onOk?.();
      done();
    };
    const onError = (err: NodeJS.ErrnoException): void => done(how.onError(err));
    const onAbort = (): void => done(new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted'));
    const timer = setTimeout(() => done(how.onTimeout()), how.timeoutMs);
    sock.once(okEvent, onOk);
    sock.once('error', onError);
    how.signal.addEventListener('abort', onAbort, { once: true });
    if (how.signal.aborted) onAbort();
  });
}

function connectOne(address: string, s: SmtpSettings, signal: AbortSignal): Promise<Socket> {
  const sock = netConnect({ host: address, port: s.port });
  return settle(sock, 'connect', {
    timeoutMs: s.connectTimeout,
    signal,
    // A TLS socket may wrap this one; its errors then arrive there. Never leave one unhandled.
    onOk: () => sock.on('error', () => {}),
    onError: (err) => {
      const code = err.code ?? 'error';
      const hint =
        code === 'ECONNREFUSED'
          ? `nothing accepts connections on ${s.server}:${s.port}: check SMTP_PORT (465 implicit TLS, 587 STARTTLS, 25 plain) and that the server is up`
          : 'no route to the server: check the network, VPN or firewall between this machine and SMTP_SERVER';
      return new ProbeFailure(
        ExitCode.UNAVAILABLE,
        `cannot connect to ${s.server}:${s.port} (${code})`,
        hint,
        `${code} ${address}:${s.port}`,
      );
    },
    onTimeout: () =>
      new ProbeFailure(
        ExitCode.TEMPFAIL,
        `connecting to ${s.server}:${s.port} timed out after ${s.connectTimeout} ms`,
        'a firewall drops the connection (many clouds block outbound port 25; try 587), or the server is down; SMTP_CONNECT_TIMEOUT sets the wait',
        `timeout ${address}:${s.port}`,
      ),
  });
}

/** A TLS handshake on `socket`; the stage gets the version, cipher and certificate. */
export function upgrade(
  socket: Socket,
  s: SmtpSettings,
  timeoutMs: number,
  signal: AbortSignal,
  stage: ProbeStage,
  now: number,
): Promise<TLSSocket> {
  const tlsSocket = tlsConnect({
    socket,
    host: s.server,
    // RFC 6066 §3: SNI carries host names only, never an IP address.
    ...(isIP(s.server) ? {} : { servername: s.server }),
    rejectUnauthorized: s.verify,
    // The reference system had no floor (Dify issue #13037); TLS 1.0 and 1.1 are broken.
    minVersion: 'TLSv1.2',
  });
  return settle(tlsSocket, 'secureConnect', {
    timeoutMs,
    signal,
    onOk: () => {
      const cipher = tlsSocket.getCipher();
      const cert = tlsSocket.getPeerCertificate();
      stage.reply = `${tlsSocket.getProtocol() ?? 'TLS'} ${cipher.name}; certificate ${describeCert(cert)}`;
      if (!s.verify) {
        // Node sets authorizationError to the OpenSSL code string (e.g. DEPTH_ZERO_SELF_SIGNED_CERT).
        const reason = tlsSocket.authorizationError as unknown as string | Error | undefined;
        const why = tlsSocket.authorized
          ? 'it would have passed'
          : `it would have failed: ${reason instanceof Error ? reason.message : String(reason)}`;
        stage.warning = `certificate NOT verified because SMTP_TLS_VERIFY=false (${why}); anyone on the path can read the mail and the password`;
      } else {
        stage.reply += ', verified';
        const expires = Date.parse(cert.valid_to);
        if (Number.isFinite(expires) && expires - now < 14 * 86_400_000) {
          stage.warning = `the server certificate expires on ${cert.valid_to}`;
        }
      }
    },
    onError: (err) => tlsFailure(err.code ?? 'error', err.message, s),
    onTimeout: () =>
      new ProbeFailure(
        ExitCode.TEMPFAIL,
        `the TLS handshake with ${s.server}:${s.port} timed out after ${timeoutMs} ms`,
        s.mode === 'implicit'
          ? 'the server may expect plain SMTP or STARTTLS on this port: on 587 set SMTP_OPPORTUNISTIC_TLS=true'
          : undefined,
        'timeout',
      ),
  });
}

function describeCert(cert: PeerCertificate): string {
  if (!cert || Object.keys(cert).length === 0) return 'none';
  const dn = (name: Record<string, string | string[]> | undefined): string =>
    name
      ? Object.entries(name)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
          .join(', ')
      : '?';
  const subject = dn(cert.subject as unknown as Record<string, string | string[]> | undefined);
  const issuer = dn(cert.issuer as unknown as Record<string, string | string[]> | undefined);
  const alt = cert.subjectaltname ? `, ${cert.subjectaltname}` : '';
  return `${subject}${alt} (issuer ${issuer === subject ? 'itself' : issuer}, valid until ${cert.valid_to})`;
}
