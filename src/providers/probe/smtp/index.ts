/**
 * `verify-config --connect` for smtp: a staged probe that prints what swaks would show —
 * resolve, connect, greeting, EHLO, STARTTLS or implicit TLS, AUTH, MAIL FROM, RSET, QUIT —
 * each with its timing and the server's exact reply. It never sends DATA, so nothing is
 * delivered. A raw client over net/tls (not nodemailer) because the probe must report every
 * reply line and stop at the exact stage that failed.
 *
 * The parts, as nodemailer keeps lib/smtp-connection/: wire.ts reads replies, connect.ts sets up
 * the socket and TLS, failures.ts maps what went wrong to exit codes and hints, auth.ts logs in;
 * this file runs the stages in order.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../../../config/index.js';
import { ExitCode, ProbeFailure, WireError } from '../../../errors.js';
import { tokenSourceFor } from '../../oauth2.js';
import type { ProbeDeps, ProbeReport } from '../../types.js';
import { StageRecorder } from '../stage-recorder.js';
import { auth, xoauth2 } from './auth.js';
import { connectAny, resolveHost, upgrade } from './connect.js';
import { read, refusal, rethrowWire } from './failures.js';
import { settingsOf, type SmtpSettings } from './settings.js';
import { ehloExtensions, replyText, SmtpWire, type SmtpReply } from './wire.js';

export async function probeSmtp(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const s = settingsOf(config, deps);
  const rec = new StageRecorder(() => deps.clock.now());
  const { signal } = deps;
  let socket: Socket | TLSSocket | undefined;
  let wire: SmtpWire | undefined;
  try {
    const addresses = await rec.stage('resolve', s.server, async (stage) => {
      const found = await resolveHost(
        s.server,
        s.connectTimeout,
        signal,
        deps.lookup ?? ((host) => lookup(host, { all: true })),
      );
      stage.reply = isIP(s.server) ? 'an IP address: no lookup' : found.join(', ');
      return found;
    });

    const tcp = await rec.stage('connect', `${s.server}:${s.port}`, async (stage) => {
      const sock = await connectAny(addresses, s, signal);
      stage.reply = `connected to ${sock.remoteAddress ?? '?'}:${sock.remotePort ?? s.port} from ${sock.localAddress ?? '?'}`;
      return sock;
    });
    socket = tcp;

    if (s.mode === 'implicit') {
      socket = await rec.stage('tls', 'TLS handshake (implicit TLS)', (stage) =>
        upgrade(tcp, s, s.connectTimeout, signal, stage, deps.clock.now()),
      );
    }
    wire = new SmtpWire(socket);
    const w = wire;

    await rec.stage('greeting', undefined, async (stage) => {
      const reply = await read(w, s.greetingTimeout, signal, 'greeting', s);
      stage.reply = replyText(reply);
      if (reply.code === 220) return;
      throw refusal(reply, 'greeting', s);
    });

    let ext = await ehlo(rec, w, s, signal, 'ehlo');
    let secure = s.mode === 'implicit';

    if (s.mode === 'starttls') {
      if (!ext.has('STARTTLS')) {
        await rec.stage('starttls', undefined, () => {
          throw new ProbeFailure(
            ExitCode.UNAVAILABLE,
            'the server does not offer STARTTLS, which SMTP_OPPORTUNISTIC_TLS=true requires',
            s.port === 465
              ? 'port 465 speaks implicit TLS: set SMTP_OPPORTUNISTIC_TLS=false'
              : 'use the port your provider gives for STARTTLS (usually 587), or implicit TLS on 465',
            'STARTTLS not in the EHLO reply',
          );
        });
      }
      await rec.stage('starttls', 'STARTTLS', async (stage) => {
        const reply = await w
          .command('STARTTLS', s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'STARTTLS', s));
        stage.reply = replyText(reply);
        if (reply.code !== 220) throw refusal(reply, 'STARTTLS', s);
      });
      const plain = w.detach();
      const tlsSocket = await rec.stage('tls', 'TLS handshake (STARTTLS)', (stage) =>
        upgrade(plain, s, s.socketTimeout, signal, stage, deps.clock.now()),
      );
      socket = tlsSocket;
      w.attach(tlsSocket);
      secure = true;
      // RFC 3207 §4.2: the client must discard what it knew and ask again.
      ext = await ehlo(rec, w, s, signal, 'ehlo');
    } else if (s.mode === 'plain' && ext.has('STARTTLS')) {
      const last = rec.stages[rec.stages.length - 1];
      if (last)
        last.warning = joinWarnings(
          last.warning,
          'the server offers STARTTLS but SMTP_USE_TLS=false: mail and any password cross the network unencrypted (set SMTP_USE_TLS=true and SMTP_OPPORTUNISTIC_TLS=true)',
        );
    }

    if (s.username !== undefined) {
      const tokens = tokenSourceFor(config, { clock: deps.clock, secrets: deps.secrets });
      if (tokens) await xoauth2(rec, w, s, ext, tokens, signal);
      else await auth(rec, w, s, ext, secure, signal);
    }

    if (s.from !== undefined) {
      const from = s.from;
      await rec.stage('mail from', `MAIL FROM:<${from}>`, async (stage) => {
        const reply = await w
          .command(`MAIL FROM:<${from}>`, s.socketTimeout, signal)
          .catch((e: unknown) => rethrowWire(e, 'MAIL FROM', s));
        stage.reply = replyText(reply);
        if (reply.code !== 250) throw refusal(reply, 'MAIL FROM', s);
      });
    }

    // RSET and QUIT are courtesy: a server that is slow or rude here does not fail the probe.
    await rec.stage('rset', 'RSET', async (stage) => {
      try {
        const reply = await w.command('RSET', s.socketTimeout, signal);
        stage.reply = replyText(reply);
        if (reply.code !== 250) stage.warning = 'unexpected reply to RSET';
      } catch (err) {
        if (err instanceof WireError && err.kind === 'aborted') throw rethrowWire(err, 'RSET', s);
        stage.warning = `no reply to RSET (${(err as Error).message})`;
      }
    });
    await rec.stage('quit', 'QUIT', async (stage) => {
      try {
        const reply = await w.command('QUIT', Math.min(s.socketTimeout, 5000), signal);
        stage.reply = replyText(reply);
        if (reply.code !== 221) stage.warning = 'unexpected reply to QUIT';
      } catch (err) {
        if (err instanceof WireError && err.kind === 'aborted') throw rethrowWire(err, 'QUIT', s);
        stage.warning = `no reply to QUIT (${(err as Error).message})`;
      }
    });
    return rec.passed();
  } catch (err) {
    if (wire && !(err instanceof WireError)) politeQuit(wire);
    return rec.failed(err);
  } finally {
    wire?.destroy();
    socket?.destroy();
  }
}

/** Best effort: tell the server we are leaving, without waiting for its answer. */
function politeQuit(wire: SmtpWire): void {
  try {
    wire.write('QUIT');
  } catch {
    // the socket is already gone
  }
}

function joinWarnings(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}

function isFqdn(name: string): boolean {
  return /^\[.*\]$/.test(name) || (/\./.test(name) && !/\.$/.test(name) && /^[A-Za-z0-9.-]+$/.test(name));
}

async function ehlo(
  rec: StageRecorder,
  w: SmtpWire,
  s: SmtpSettings,
  signal: AbortSignal,
  name: string,
): Promise<Map<string, string[]>> {
  const line = `EHLO ${s.ehloName}`;
  const ext = await rec.stage(name, line, async (stage) => {
    const reply = await w.command(line, s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'EHLO', s));
    stage.reply = ehloSummary(reply);
    if (
      !isFqdn(s.ehloName) &&
      !rec.stages.some((x) => x.name === 'ehlo' && x !== stage && x.warning?.startsWith('EHLO name'))
    ) {
      stage.warning = `EHLO name "${s.ehloName}" is not a fully-qualified domain name${s.ehloNameConfigured ? '' : " (the machine's host name)"}; relays that check it refuse it: set SMTP_LOCAL_HOSTNAME`;
    }
    if (reply.code === 250) return ehloExtensions(reply);
    // 500/502: a server without ESMTP (RFC 5321 §3.2): fall back to HELO, as smtplib does.
    if (reply.code === 500 || reply.code === 502) return undefined;
    throw refusal(reply, 'EHLO', s);
  });
  if (ext) return ext;
  const helo = `HELO ${s.ehloName}`;
  await rec.stage('helo', helo, async (stage) => {
    const reply = await w.command(helo, s.socketTimeout, signal).catch((e: unknown) => rethrowWire(e, 'HELO', s));
    stage.reply = replyText(reply);
    stage.warning = 'the server does not speak ESMTP: no STARTTLS and no AUTH are possible';
    if (reply.code !== 250) throw refusal(reply, 'HELO', s);
  });
  return new Map();
}

/** `250 mx.example.com Hello; offers PIPELINING, STARTTLS, AUTH PLAIN LOGIN` */
function ehloSummary(reply: SmtpReply): string {
  const first = reply.lines[0] ?? '';
  const rest = reply.lines
    .slice(1)
    .map((l) => l.slice(4).trim())
    .filter(Boolean);
  return rest.length > 0 ? `${first}; offers ${rest.join(', ')}` : first;
}
