/**
 * `mailctl check FILE.eml` and `send --dry-run --check`: lint one RFC 5322 message the way a
 * receiving mailbox provider will look at it — structure, required headers, the subject's
 * encoding, size, the DKIM signature (against DNS, and offline against the configured key),
 * RFC 8058 one-click unsubscribe, leftover template markers and insecure links.
 * The home of mailparser (decoding) and mailauth (DKIM verification).
 */
import { simpleParser } from 'mailparser';
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { ExitCode } from '../errors.js';
import type { Category } from '../message/types.js';
import { dkimOptionsFrom } from '../providers/dkim.js';
import { aligned, parseTags, publicOfPrivate } from './records.js';
import { createDnsClient, type DnsQuery } from './resolver.js';

export type MessageCheck = 'structure' | 'headers' | 'subject' | 'size' | 'dkim' | 'unsubscribe' | 'template' | 'links';

export interface MessageFinding {
  check: MessageCheck;
  severity: 'ok' | 'info' | 'warning' | 'error';
  message: string;
  fix?: string | undefined;
}

export interface MessageReport {
  ok: boolean;
  /** 0, or 65 when a finding is an error (the message is bad data). */
  exitCode: number;
  /** Bytes on the wire. */
  size: number;
  subject: string | undefined;
  findings: MessageFinding[];
  /** DNS queries made for DKIM keys (shown with `--debug`). */
  queries: DnsQuery[];
}

/** The configured DKIM key, for the offline check. Secret: only its public half is used. */
export interface OfflineDkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface MessageCheckDeps {
  clock: Clock;
  /** MAILCTL_DNS_SERVERS; empty or undefined: the system's resolvers. */
  dnsServers?: readonly string[] | undefined;
  /** Verify the signature offline against this key, as well as against DNS. */
  dkim?: OfflineDkimKey | undefined;
  /** The mail's category when known (send knows it; a bare .eml file does not). */
  category?: Category | undefined;
  /** False for security notices, which never carry List-Unsubscribe (see the catalog). */
  unsubscribable?: boolean | undefined;
  /** Per DNS try. @defaultValue 1500 */
  dnsTimeoutMs?: number | undefined;
  /** Skip the DNS half of the DKIM check (offline use). */
  offline?: boolean | undefined;
}

/** Deps from the configuration: DNS servers and the DKIM key (unreadable key: a ConfigError). */
export async function messageCheckDeps(config: Config, cwd: string, clock: Clock): Promise<MessageCheckDeps> {
  return { clock, dnsServers: config.values['dns.servers'] ?? [], dkim: await dkimOptionsFrom(config, cwd) };
}

// ---------------------------------------------------------------------------------------------
// A small MIME walker: only the tree of content types and the raw top-level headers are needed,
// which mailparser's flattened result does not keep.

interface MimeNode {
  type: string;
  params: Map<string, string>;
  headers: [string, string][];
  children: MimeNode[];
}

function splitHead(text: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

/** Header fields, unfolded (RFC 5322 §2.2.3), in order, with their raw values. */
export function headerFields(head: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

function contentType(headers: [string, string][]): { type: string; params: Map<string, string> } {
  const value = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'text/plain';
  const type = (value.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  const params = new Map<string, string>();
  for (const m of value.matchAll(/;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)/g)) {
    params.set(m[1]!.toLowerCase(), m[2]!.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1'));
  }
  return { type, params };
}

function walkMime(text: string, depth = 0): MimeNode {
  const { head, body } = splitHead(text);
  const headers = headerFields(head);
  const { type, params } = contentType(headers);
  const node: MimeNode = { type, params, headers, children: [] };
  const boundary = params.get('boundary');
  if (type.startsWith('multipart/') && boundary && depth < 10) {
    const parts = body.split(
      new RegExp(`(?:^|\\r?\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*(?=\\r?\\n|$)`),
    );
    // parts[0] is the preamble, the last the epilogue after the closing delimiter.
    for (const part of parts.slice(1)) {
      const p = part.replace(/^\r?\n/, '');
      if (p.trim() === '') continue;
      node.children.push(walkMime(p, depth + 1));
    }
  }
  return node;
}

function* nodes(n: MimeNode): Generator<MimeNode> {
  yield n;
  for (const c of n.children) yield* nodes(c);
}

// ---------------------------------------------------------------------------------------------

const MARKERS: [RegExp, string][] = [
  [/\{\{[^{}]{0,80}\}\}/, '{{…}}'],
  [/\{%[^%]{0,80}%\}/, '{%…%}'],
  [/\$\{[A-Za-z_][\w.]{0,60}\}/, '${…}'],
];
// Dify's subjects are built with str.format: a missing variable leaves "{ApplicationTitle}" (W17).
const BRACE_PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]{0,40}\}/;

function findMarker(text: string, withBraces: boolean): string | undefined {
  for (const [re] of MARKERS) {
    const m = re.exec(text);
    if (m) return m[0];
  }
  if (withBraces) return BRACE_PLACEHOLDER.exec(text)?.[0];
  return undefined;
}

function linksOf(html: string, text: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi))
    out.add((m[1] ?? m[2] ?? m[3] ?? '').trim().replace(/&amp;/g, '&'));
  for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"')\]]+/gi)) out.add(m[0]);
  return [...out].filter(Boolean);
}

const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|[^.]+)$/i;

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** Lints one message. Never throws for a bad message: every problem is a finding. */
export async function checkMessage(raw: Buffer, deps: MessageCheckDeps): Promise<MessageReport> {
  const findings: MessageFinding[] = [];
  const add = (check: MessageCheck, severity: MessageFinding['severity'], message: string, fix?: string): void => {
    findings.push(fix ? { check, severity, message, fix } : { check, severity, message });
  };
  const text = raw.toString('latin1');
  const tree = walkMime(text);
  const top = tree.headers;
  const field = (name: string): string[] => top.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const plain = [...nodes(tree)].some((n) => n.type === 'text/plain') ? (parsed.text ?? '') : '';

  // Structure: multipart/alternative with text/plain and text/html.
  const all = [...nodes(tree)];
  const alt = all.find((n) => n.type === 'multipart/alternative');
  const altTypes = new Set(alt?.children.map((c) => c.type) ?? []);
  if (alt && altTypes.has('text/plain') && altTypes.has('text/html')) {
    add(
      'structure',
      'ok',
      `multipart/alternative with text/plain and text/html${tree !== alt ? ` (inside ${tree.type})` : ''}`,
    );
  } else if (all.some((n) => n.type === 'text/html') && !all.some((n) => n.type === 'text/plain')) {
    add(
      'structure',
      'error',
      `HTML only (${tree.type}): no text/plain alternative; spam filters score it and screen readers suffer`,
      'send multipart/alternative with a text/plain part first and text/html last',
    );
  } else {
    add(
      'structure',
      'error',
      `not multipart/alternative with text and HTML (found ${all.map((n) => n.type).join(', ')})`,
      'send multipart/alternative with a text/plain part first and text/html last',
    );
  }

  // Required headers (RFC 5322 §3.6).
  const messageId = field('message-id');
  if (messageId.length === 0)
    add(
      'headers',
      'error',
      'no Message-ID header: receivers and threading rely on it, and some providers add one that breaks de-duplication',
      'let mailctl compose the message, or add Message-ID: <unique@your-domain>',
    );
  else if (messageId.length > 1) add('headers', 'error', `${messageId.length} Message-ID headers`, 'keep exactly one');
  else if (!/^<[^<>@\s]+@[^<>@\s]+>$/.test(messageId[0]!))
    add('headers', 'error', `Message-ID ${messageId[0]} is not of the form <id@domain>`, 'use <unique@your-domain>');
  else add('headers', 'ok', `Message-ID ${messageId[0]}`);
  const date = field('date');
  if (date.length === 0)
    add('headers', 'error', 'no Date header (required by RFC 5322 §3.6)', 'add Date: in RFC 5322 form');
  else if (Number.isNaN(Date.parse(date[0]!)))
    add(
      'headers',
      'error',
      `Date "${date[0]}" is not a valid date`,
      'use the RFC 5322 form, e.g. Tue, 01 Dec 2026 21:00:00 +0000',
    );
  else add('headers', 'ok', `Date ${date[0]}`);
  const from = field('from');
  const fromAddress = parsed.from?.value[0]?.address;
  if (from.length !== 1 || !fromAddress)
    add(
      'headers',
      'error',
      from.length === 0 ? 'no From header' : `From is not one valid mailbox (${from.join(' | ')})`,
      'use one mailbox: "Name <addr@your-domain>"',
    );
  if (field('to').length === 0) add('headers', 'warning', 'no To header', 'address the recipient in To:');
  if (field('mime-version').length === 0) add('headers', 'error', 'no MIME-Version header', 'add MIME-Version: 1.0');
  const longLine = text.split(/\r?\n/).find((l) => l.length > 998);
  if (longLine)
    add(
      'headers',
      'error',
      `a line is ${longLine.length} characters long; RFC 5322 §2.1.1 allows 998, and servers break or refuse it`,
      'encode bodies quoted-printable or base64',
    );

  // Subject: present, RFC 2047-encoded when not ASCII, decodes cleanly.
  const subjectRaw = field('subject');
  const subject = parsed.subject;
  if (subjectRaw.length === 0 || !subject) {
    add('subject', 'error', 'no Subject, or an empty one', 'give every mail a subject');
  } else if (/[^\x20-\x7e\t]/.test(subjectRaw[0]!)) {
    add(
      'subject',
      'error',
      'the Subject has raw 8-bit characters instead of RFC 2047 encoded words; many clients show mojibake',
      'encode it as =?UTF-8?B?…?= (mailctl does)',
    );
  } else if (/=\?[^?]*\?[bq]\?[^?]*\?=/i.test(subject) || subject.includes('\ufffd')) {
    add(
      'subject',
      'error',
      `the Subject does not decode cleanly: ${JSON.stringify(subject)}`,
      'encode it as =?UTF-8?B?…?= with a declared charset',
    );
  } else {
    add(
      'subject',
      'ok',
      `Subject ${JSON.stringify(subject)}${/=\?/.test(subjectRaw[0]!) ? ' (RFC 2047 encoded)' : ''}`,
    );
  }

  // Size. Gmail clips messages over about 102 KB and hides the rest behind a link.
  const htmlBytes = Buffer.byteLength(html);
  add('size', 'info', `${kb(raw.length)} in all, HTML ${kb(htmlBytes)}`);
  if (htmlBytes > 102 * 1024)
    add(
      'size',
      'warning',
      `the HTML is ${kb(htmlBytes)}: Gmail clips messages over about 102 KB`,
      'inline less CSS, drop unused markup, link to large content',
    );
  if (raw.length > 10 * 1024 * 1024)
    add(
      'size',
      'warning',
      `the message is ${kb(raw.length)}: many providers refuse over 10 MB`,
      'link to attachments instead',
    );

  // DKIM: verify against DNS, and offline against the configured key.
  const dns = createDnsClient({ servers: deps.dnsServers, clock: deps.clock, timeoutMs: deps.dnsTimeoutMs });
  const signatures = field('dkim-signature').map((v) => parseTags(v.replace(/\s+/g, ' ')).tags);
  const fromDomain = fromAddress ? fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase() : undefined;
  if (signatures.length === 0) {
    if (deps.dkim)
      add(
        'dkim',
        'error',
        `not DKIM-signed, though DKIM is configured (d=${deps.dkim.domainName}, s=${deps.dkim.keySelector})`,
        'sign when the message is built (DKIM_* settings)',
      );
    else
      add(
        'dkim',
        'warning',
        'not DKIM-signed: Gmail and Yahoo require SPF or DKIM, and DMARC without DKIM breaks on forwarding',
        'configure DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_PATH',
      );
  } else {
    const now = new Date(deps.clock.now());
    // Loaded only for signed mail: mailauth costs about 200 ms to import.
    const { dkimVerify } = await import('mailauth/lib/dkim/verify.js');
    const results = deps.offline
      ? undefined
      : await dkimVerify(raw, { resolver: dns.resolve as never, curTime: now }).catch((err: unknown) => err as Error);
    let offline: Awaited<ReturnType<typeof dkimVerify>> | undefined;
    const key = deps.dkim;
    let offlineError: string | undefined;
    if (key) {
      try {
        const mine = publicOfPrivate(key.privateKey);
        const name = `${key.keySelector}._domainkey.${key.domainName}`.toLowerCase();
        // The resolver answers only the configured selector, with the configured key's public half.
        const resolver = async (n: string, rr: string): Promise<string[][]> => {
          if (rr.toUpperCase() === 'TXT' && n.toLowerCase() === name) return [[mine.record]];
          throw Object.assign(new Error(`${n}: not the configured selector`), { code: 'ENOTFOUND' });
        };
        offline = await dkimVerify(raw, { resolver: resolver as never, curTime: now });
      } catch (err) {
        // Only the first line: key parsers may quote input, and the input here is a private key.
        offlineError = (err as Error).message.split('\n')[0];
        add(
          'dkim',
          'error',
          `the configured DKIM key cannot be used to verify offline (${offlineError})`,
          'give a PEM private key (RSA 2048, or Ed25519)',
        );
      }
    }
    signatures.forEach((sig, i) => {
      const d = (sig.get('d') ?? '?').toLowerCase();
      const s = sig.get('s') ?? '?';
      const label = `DKIM signature d=${d} s=${s}`;
      const signed = new Set((sig.get('h') ?? '').split(':').map((h) => h.trim().toLowerCase()));
      const r = results instanceof Error ? undefined : results?.results[i];
      const status = r?.status.result;
      if (results instanceof Error) {
        add(
          'dkim',
          'warning',
          `${label}: DNS verification failed to run (${results.message})`,
          'check MAILCTL_DNS_SERVERS',
        );
      } else if (status === 'pass') {
        add('dkim', 'ok', `${label} verifies against DNS`);
      } else if (status !== undefined) {
        const why = r?.status.comment ? ` (${r.status.comment})` : '';
        // A body hash mismatch is reported as neutral by mailauth: only a temporary DNS failure is not an error.
        const temp = status === 'temperror';
        add(
          'dkim',
          temp ? 'warning' : 'error',
          `${label} does not verify against DNS: ${status}${why}`,
          temp
            ? `publish the key at ${s}._domainkey.${d}, or check MAILCTL_DNS_SERVERS`
            : `the body or signed headers changed after signing, or ${s}._domainkey.${d} holds another key: run mailctl verify-config --dns`,
        );
      }
      if (
        key &&
        offlineError === undefined &&
        d === key.domainName.toLowerCase() &&
        s.toLowerCase() === key.keySelector.toLowerCase()
      ) {
        const o = offline?.results[i]?.status;
        if (o?.result === 'pass') add('dkim', 'ok', `${label} verifies against the configured key (offline)`);
        else
          add(
            'dkim',
            'error',
            `${label} does not verify against the configured key (offline): ${o?.result ?? 'none'}${o?.comment ? ` (${o.comment})` : ''}`,
            'the message changed after signing, or it was signed with another key',
          );
      }
      for (const h of ['from', 'subject', 'date', 'message-id', 'to']) {
        if (!signed.has(h))
          add(
            'dkim',
            h === 'from' ? 'error' : 'warning',
            `${label} does not cover ${h}`,
            'sign From, To, Subject, Date and Message-ID at least',
          );
      }
      if (fromDomain && !aligned(d, fromDomain, 'r'))
        add(
          'dkim',
          'warning',
          `${label} does not align with the From domain ${fromDomain}: DMARC cannot pass through it`,
          "sign with the sender's domain (DKIM_DOMAIN)",
        );
    });
  }

  // RFC 8058 one-click unsubscribe.
  const lu = field('list-unsubscribe');
  const lup = field('list-unsubscribe-post');
  if (lu.length > 0) {
    const https = /<https:\/\/[^>]+>/i.test(lu[0]!);
    if (!https)
      add(
        'unsubscribe',
        'error',
        `List-Unsubscribe has no <https://…> URL (${lu[0]}): one-click unsubscribe needs one`,
        'set MAIL_UNSUBSCRIBE_URL to an https URL',
      );
    if (lup[0]?.trim() !== 'List-Unsubscribe=One-Click')
      add(
        'unsubscribe',
        'error',
        lup.length === 0
          ? 'List-Unsubscribe without List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058)'
          : `List-Unsubscribe-Post is "${lup[0]}", not "List-Unsubscribe=One-Click"`,
        'add List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      );
    const covered = signatures.some((sig) => {
      const h = new Set((sig.get('h') ?? '').split(':').map((x) => x.trim().toLowerCase()));
      return h.has('list-unsubscribe') && h.has('list-unsubscribe-post');
    });
    if (!covered)
      add(
        'unsubscribe',
        'error',
        'List-Unsubscribe and List-Unsubscribe-Post are not covered by a DKIM signature; RFC 8058 §4 requires it, and Gmail ignores unsigned ones',
        "sign both headers (mailctl's signer does when DKIM is configured)",
      );
    else if (https && lup[0]?.trim() === 'List-Unsubscribe=One-Click')
      add('unsubscribe', 'ok', 'one-click List-Unsubscribe (RFC 8058), signed');
    if (deps.category !== undefined && (deps.category !== 'notification' || deps.unsubscribable === false)) {
      add(
        'unsubscribe',
        'warning',
        `List-Unsubscribe on ${deps.category === 'notification' ? 'a security notice' : `${deps.category} mail`}: nobody should be able to opt out of it`,
        'send it without List-Unsubscribe (mailctl adds it to ordinary notifications only)',
      );
    }
  } else if (deps.category === 'notification' && deps.unsubscribable !== false) {
    add(
      'unsubscribe',
      'warning',
      'a notification without List-Unsubscribe: Gmail and Yahoo expect one-click unsubscribe on mail people can opt out of',
      'set MAIL_UNSUBSCRIBE_URL',
    );
  } else {
    add(
      'unsubscribe',
      'info',
      `no List-Unsubscribe${deps.category ? ` (right for ${deps.category === 'notification' && deps.unsubscribable === false ? 'a security notice' : `${deps.category} mail`})` : ': right for codes and security mail; notifications need one'}`,
    );
  }

  // Leftover template markers.
  const leftovers = [
    ['the subject', subject ?? '', true],
    ['the text part', plain, true],
    ['the HTML part', html.replace(/<style[\s\S]*?<\/style>/gi, ''), false],
  ] as const;
  let clean = true;
  for (const [where, body, braces] of leftovers) {
    const m = findMarker(body, braces);
    if (m) {
      clean = false;
      add(
        'template',
        'error',
        `${where} has an unrendered template marker ${JSON.stringify(m)}`,
        'a variable was missing when the mail was rendered: pass it (--var) or fix the template',
      );
    }
  }
  if (subject && /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+){2,}$/i.test(subject.trim())) {
    clean = false;
    add(
      'template',
      'error',
      `the subject "${subject}" looks like an untranslated i18n key`,
      'add the key to the locale file',
    );
  }
  if (clean) add('template', 'ok', 'no unrendered template markers');

  // Links.
  const links = linksOf(html, plain);
  let linksOk = true;
  for (const link of links) {
    if (/^(mailto:|tel:|cid:|#|data:image\/)/i.test(link)) continue;
    if (/^javascript:/i.test(link)) {
      linksOk = false;
      add(
        'links',
        'error',
        `a javascript: link (${link.slice(0, 60)})`,
        'remove it: mail clients block it and filters flag it',
      );
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(link);
    } catch {
      url = undefined;
    }
    if (!url) continue;
    if (url.protocol === 'http:') {
      linksOk = false;
      add(
        'links',
        'warning',
        `link is not https: ${link.slice(0, 120)}`,
        'use https links (filters and clients flag plain http)',
      );
    }
    if (LOCAL_HOST.test(url.hostname)) {
      linksOk = false;
      add(
        'links',
        'warning',
        `link points at ${url.hostname}, which the recipient cannot reach: ${link.slice(0, 120)}`,
        'set the public base URL the templates use (e.g. CONSOLE_WEB_URL)',
      );
    }
  }
  if (linksOk)
    add(
      'links',
      'ok',
      links.length === 0 ? 'no links' : `${links.length} link${links.length === 1 ? '' : 's'}, all https`,
    );

  const errors = findings.some((f) => f.severity === 'error');
  return {
    ok: !errors,
    exitCode: errors ? ExitCode.DATAERR : ExitCode.OK,
    size: raw.length,
    subject,
    findings,
    queries: dns.log,
  };
}
