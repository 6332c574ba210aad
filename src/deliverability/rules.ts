/**
 * The rules of `mailctl check`, in the order their findings are printed (changesets'
 * packages/config habit: one small function per rule, the list is the documentation). Each rule
 * reads the message decoded once and reports findings; none throws for a bad message.
 */
import { dkimRule } from './dkim.js';
import { nodes } from './mime.js';
import type { MessageRule } from './types.js';

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

export const MESSAGE_RULES: readonly MessageRule[] = [
  {
    id: 'structure',
    checks: 'multipart/alternative with a text/plain and a text/html part',
    run({ tree }, add) {
      const all = [...nodes(tree)];
      const alt = all.find((n) => n.type === 'multipart/alternative');
      const altTypes = new Set(alt?.children.map((c) => c.type) ?? []);
      if (alt && altTypes.has('text/plain') && altTypes.has('text/html')) {
        add('ok', `multipart/alternative with text/plain and text/html${tree !== alt ? ` (inside ${tree.type})` : ''}`);
      } else if (all.some((n) => n.type === 'text/html') && !all.some((n) => n.type === 'text/plain')) {
        add(
          'error',
          `HTML only (${tree.type}): no text/plain alternative; spam filters score it and screen readers suffer`,
          'send multipart/alternative with a text/plain part first and text/html last',
        );
      } else {
        add(
          'error',
          `not multipart/alternative with text and HTML (found ${all.map((n) => n.type).join(', ')})`,
          'send multipart/alternative with a text/plain part first and text/html last',
        );
      }
    },
  },
  {
    id: 'headers',
    checks: 'Message-ID, Date, From, To and MIME-Version (RFC 5322 §3.6); no line over 998 characters',
    run({ text, field, fromAddress }, add) {
      const messageId = field('message-id');
      if (messageId.length === 0)
        add(
          'error',
          'no Message-ID header: receivers and threading rely on it, and some providers add one that breaks de-duplication',
          'let mailctl compose the message, or add Message-ID: <unique@your-domain>',
        );
      else if (messageId.length > 1) add('error', `${messageId.length} Message-ID headers`, 'keep exactly one');
      else if (!/^<[^<>@\s]+@[^<>@\s]+>$/.test(messageId[0]!))
        add('error', `Message-ID ${messageId[0]} is not of the form <id@domain>`, 'use <unique@your-domain>');
      else add('ok', `Message-ID ${messageId[0]}`);
      const date = field('date');
      if (date.length === 0) add('error', 'no Date header (required by RFC 5322 §3.6)', 'add Date: in RFC 5322 form');
      else if (Number.isNaN(Date.parse(date[0]!)))
        add(
          'error',
          `Date "${date[0]}" is not a valid date`,
          'use the RFC 5322 form, e.g. Tue, 01 Dec 2026 21:00:00 +0000',
        );
      else add('ok', `Date ${date[0]}`);
      const from = field('from');
      if (from.length !== 1 || !fromAddress)
        add(
          'error',
          from.length === 0 ? 'no From header' : `From is not one valid mailbox (${from.join(' | ')})`,
          'use one mailbox: "Name <addr@your-domain>"',
        );
      if (field('to').length === 0) add('warning', 'no To header', 'address the recipient in To:');
      if (field('mime-version').length === 0) add('error', 'no MIME-Version header', 'add MIME-Version: 1.0');
      const longLine = text.split(/\r?\n/).find((l) => l.length > 998);
      if (longLine)
        add(
          'error',
          `a line is ${longLine.length} characters long; RFC 5322 §2.1.1 allows 998, and servers break or refuse it`,
          'encode bodies quoted-printable or base64',
        );
    },
  },
  {
    id: 'subject',
    checks: 'a Subject, RFC 2047-encoded when not ASCII, that decodes cleanly',
    run({ field, subject }, add) {
      const subjectRaw = field('subject');
      if (subjectRaw.length === 0 || !subject) {
        add('error', 'no Subject, or an empty one', 'give every mail a subject');
      } else if (/[^\x20-\x7e\t]/.test(subjectRaw[0]!)) {
        add(
          'error',
          'the Subject has raw 8-bit characters instead of RFC 2047 encoded words; many clients show mojibake',
          'encode it as =?UTF-8?B?…?= (mailctl does)',
        );
      } else if (/=\?[^?]*\?[bq]\?[^?]*\?=/i.test(subject) || subject.includes('\ufffd')) {
        add(
          'error',
          `the Subject does not decode cleanly: ${JSON.stringify(subject)}`,
          'encode it as =?UTF-8?B?…?= with a declared charset',
        );
      } else {
        add('ok', `Subject ${JSON.stringify(subject)}${/=\?/.test(subjectRaw[0]!) ? ' (RFC 2047 encoded)' : ''}`);
      }
    },
  },
  {
    id: 'size',
    checks: "the message's and the HTML's size (Gmail clips HTML over about 102 KB)",
    run({ raw, html }, add) {
      const htmlBytes = Buffer.byteLength(html);
      add('info', `${kb(raw.length)} in all, HTML ${kb(htmlBytes)}`);
      if (htmlBytes > 102 * 1024)
        add(
          'warning',
          `the HTML is ${kb(htmlBytes)}: Gmail clips messages over about 102 KB`,
          'inline less CSS, drop unused markup, link to large content',
        );
      if (raw.length > 10 * 1024 * 1024)
        add(
          'warning',
          `the message is ${kb(raw.length)}: many providers refuse over 10 MB`,
          'link to attachments instead',
        );
    },
  },
  dkimRule,
  {
    id: 'unsubscribe',
    checks: 'RFC 8058 one-click List-Unsubscribe, signed, on the mail people can opt out of only',
    run({ field, signatures, deps }, add) {
      const lu = field('list-unsubscribe');
      const lup = field('list-unsubscribe-post');
      if (lu.length > 0) {
        const https = /<https:\/\/[^>]+>/i.test(lu[0]!);
        if (!https)
          add(
            'error',
            `List-Unsubscribe has no <https://…> URL (${lu[0]}): one-click unsubscribe needs one`,
            'set MAIL_UNSUBSCRIBE_URL to an https URL',
          );
        if (lup[0]?.trim() !== 'List-Unsubscribe=One-Click')
          add(
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
            'error',
            'List-Unsubscribe and List-Unsubscribe-Post are not covered by a DKIM signature; RFC 8058 §4 requires it, and Gmail ignores unsigned ones',
            "sign both headers (mailctl's signer does when DKIM is configured)",
          );
        else if (https && lup[0]?.trim() === 'List-Unsubscribe=One-Click')
          add('ok', 'one-click List-Unsubscribe (RFC 8058), signed');
        if (deps.category !== undefined && (deps.category !== 'notification' || deps.unsubscribable === false)) {
          add(
            'warning',
            `List-Unsubscribe on ${deps.category === 'notification' ? 'a security notice' : `${deps.category} mail`}: nobody should be able to opt out of it`,
            'send it without List-Unsubscribe (mailctl adds it to ordinary notifications only)',
          );
        }
      } else if (deps.category === 'notification' && deps.unsubscribable !== false) {
        add(
          'warning',
          'a notification without List-Unsubscribe: Gmail and Yahoo expect one-click unsubscribe on mail people can opt out of',
          'set MAIL_UNSUBSCRIBE_URL',
        );
      } else {
        add(
          'info',
          `no List-Unsubscribe${deps.category ? ` (right for ${deps.category === 'notification' && deps.unsubscribable === false ? 'a security notice' : `${deps.category} mail`})` : ': right for codes and security mail; notifications need one'}`,
        );
      }
    },
  },
  {
    id: 'template',
    checks: 'no unrendered template markers or untranslated i18n keys',
    run({ subject, plain, html }, add) {
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
            'error',
            `${where} has an unrendered template marker ${JSON.stringify(m)}`,
            'a variable was missing when the mail was rendered: pass it (--var) or fix the template',
          );
        }
      }
      if (subject && /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+){2,}$/i.test(subject.trim())) {
        clean = false;
        add('error', `the subject "${subject}" looks like an untranslated i18n key`, 'add the key to the locale file');
      }
      if (clean) add('ok', 'no unrendered template markers');
    },
  },
  {
    id: 'links',
    checks: 'links are https and reach a public host; no javascript:',
    run({ html, plain }, add) {
      const links = linksOf(html, plain);
      let linksOk = true;
      for (const link of links) {
        if (/^(mailto:|tel:|cid:|#|data:image\/)/i.test(link)) continue;
        if (/^javascript:/i.test(link)) {
          linksOk = false;
          add(
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
            'warning',
            `link is not https: ${link.slice(0, 120)}`,
            'use https links (filters and clients flag plain http)',
          );
        }
        if (LOCAL_HOST.test(url.hostname)) {
          linksOk = false;
          add(
            'warning',
            `link points at ${url.hostname}, which the recipient cannot reach: ${link.slice(0, 120)}`,
            'set the public base URL the templates use (e.g. CONSOLE_WEB_URL)',
          );
        }
      }
      if (linksOk)
        add('ok', links.length === 0 ? 'no links' : `${links.length} link${links.length === 1 ? '' : 's'}, all https`);
    },
  },
];
