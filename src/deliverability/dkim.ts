/**
 * The DKIM rule of `mailctl check`: every signature verified against DNS, and offline against the
 * configured key; the headers it covers and its alignment with From. The home of mailauth.
 */
import { aligned, publicOfPrivate } from '../dns/records.js';
import type { MessageRule } from './types.js';

export const dkimRule: MessageRule = {
  id: 'dkim',
  checks:
    'DKIM signatures verify (DNS, and offline against the configured key), cover From, To, Subject, Date and Message-ID, and align with From',
  async run({ raw, fromAddress, signatures, dns, deps }, add) {
    const fromDomain = fromAddress ? fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase() : undefined;
    if (signatures.length === 0) {
      if (deps.dkim)
        add(
          'error',
          `not DKIM-signed, though DKIM is configured (d=${deps.dkim.domainName}, s=${deps.dkim.keySelector})`,
          'sign when the message is built (DKIM_* settings)',
        );
      else
        add(
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
          add('warning', `${label}: DNS verification failed to run (${results.message})`, 'check MAILCTL_DNS_SERVERS');
        } else if (status === 'pass') {
          add('ok', `${label} verifies against DNS`);
        } else if (status !== undefined) {
          const why = r?.status.comment ? ` (${r.status.comment})` : '';
          // A body hash mismatch is reported as neutral by mailauth: only a temporary DNS failure is not an error.
          const temp = status === 'temperror';
          add(
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
          if (o?.result === 'pass') add('ok', `${label} verifies against the configured key (offline)`);
          else
            add(
              'error',
              `${label} does not verify against the configured key (offline): ${o?.result ?? 'none'}${o?.comment ? ` (${o.comment})` : ''}`,
              'the message changed after signing, or it was signed with another key',
            );
        }
        for (const h of ['from', 'subject', 'date', 'message-id', 'to']) {
          if (!signed.has(h))
            add(
              h === 'from' ? 'error' : 'warning',
              `${label} does not cover ${h}`,
              'sign From, To, Subject, Date and Message-ID at least',
            );
        }
        if (fromDomain && !aligned(d, fromDomain, 'r'))
          add(
            'warning',
            `${label} does not align with the From domain ${fromDomain}: DMARC cannot pass through it`,
            "sign with the sender's domain (DKIM_DOMAIN)",
          );
      });
    }
  },
};
