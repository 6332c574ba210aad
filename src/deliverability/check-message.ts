/**
 * `mailctl check FILE.eml` and `send --dry-run --check`: lint one RFC 5322 message the way a
 * receiving mailbox provider will look at it — structure, required headers, the subject's
 * encoding, size, the DKIM signature (against DNS, and offline against the configured key),
 * RFC 8058 one-click unsubscribe, leftover template markers and insecure links.
 * The message is decoded once (mailparser, and a MIME walk for the structure), then each rule
 * of rules.ts looks at it. The home of mailparser.
 */
import { simpleParser } from 'mailparser';
import type { Config } from '../config/index.js';
import type { Clock } from '../context.js';
import { parseTags } from '../dns/records.js';
import { createDnsClient } from '../dns/resolver.js';
import { ExitCode } from '../errors.js';
import { dkimOptionsFrom } from '../providers/dkim.js';
import { nodes, walkMime } from './mime.js';
import { MESSAGE_RULES } from './rules.js';
import type { MessageCheckDeps, MessageContext, MessageFinding, MessageReport } from './types.js';

export type { MessageCheck, MessageCheckDeps, MessageFinding, MessageReport, OfflineDkimKey } from './types.js';

/** Deps from the configuration: DNS servers and the DKIM key (unreadable key: a ConfigError). */
export async function messageCheckDeps(config: Config, cwd: string, clock: Clock): Promise<MessageCheckDeps> {
  return { clock, dnsServers: config.values['dns.servers'] ?? [], dkim: await dkimOptionsFrom(config, cwd) };
}

/** Lints one message. Never throws for a bad message: every problem is a finding. */
export async function checkMessage(raw: Buffer, deps: MessageCheckDeps): Promise<MessageReport> {
  const text = raw.toString('latin1');
  const tree = walkMime(text);
  const field = (name: string): string[] => tree.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const message: MessageContext = {
    raw,
    text,
    tree,
    field,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    plain: [...nodes(tree)].some((n) => n.type === 'text/plain') ? (parsed.text ?? '') : '',
    subject: parsed.subject,
    fromAddress: parsed.from?.value[0]?.address,
    signatures: field('dkim-signature').map((v) => parseTags(v.replace(/\s+/g, ' ')).tags),
    dns: createDnsClient({ servers: deps.dnsServers, clock: deps.clock, timeoutMs: deps.dnsTimeoutMs }),
    deps,
  };
  const findings: MessageFinding[] = [];
  for (const rule of MESSAGE_RULES) {
    await rule.run(message, (severity, said, fix) => {
      findings.push(
        fix ? { check: rule.id, severity, message: said, fix } : { check: rule.id, severity, message: said },
      );
    });
  }
  const errors = findings.some((f) => f.severity === 'error');
  return {
    ok: !errors,
    exitCode: errors ? ExitCode.DATAERR : ExitCode.OK,
    size: raw.length,
    subject: message.subject,
    findings,
    queries: message.dns.log,
  };
}
