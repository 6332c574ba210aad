/**
 * The DNS client of the deliverability checks: node's c-ares resolver pointed at
 * MAILCTL_DNS_SERVERS (or the system's), with short timeouts and one retry, and a log of every
 * query and its answer for `--debug`.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../context.js';
import { DnsLookupError } from '../errors.js';

export type RrType = 'TXT' | 'MX' | 'A' | 'AAAA';

/** One query as it went, for `--debug` and `--json`. */
export interface DnsQuery {
  type: RrType;
  name: string;
  ms: number;
  /** The answers, one string each (TXT strings joined, MX as `10 mx.example.com`). */
  answers?: string[] | undefined;
  /** `NXDOMAIN`, `NODATA`, or the resolver error (e.g. `ETIMEOUT`). */
  error?: string | undefined;
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface DnsClient {
  /** What the queries go to: `127.0.0.1:5353`, or `system (…)`. */
  readonly servers: string[];
  readonly log: DnsQuery[];
  /** TXT records, each one's strings joined (RFC 7208 §3.3); `[]` when there are none. */
  txt(name: string): Promise<string[]>;
  mx(name: string): Promise<MxRecord[]>;
  addresses(name: string): Promise<string[]>;
  /** For mailauth: `(name, rrtype)` as `dns.promises.resolve` answers it. */
  resolve(name: string, rrtype: string): Promise<string[][] | string[] | MxRecord[]>;
}

export interface DnsClientOptions {
  /** `host` or `host:port` (IPv6 as `[::1]:53`); empty or undefined: the system's servers. */
  servers?: readonly string[] | undefined;
  clock: Clock;
  /** Per try, in milliseconds. @defaultValue 1500 */
  timeoutMs?: number | undefined;
  /** @defaultValue 2 */
  tries?: number | undefined;
  /** Cancels pending queries when aborted (they fail with ECANCELLED). */
  signal?: AbortSignal | undefined;
}

/** Checks MAILCTL_DNS_SERVERS entries: returns the ones that are not `IP` or `IP:port`. */
export function invalidServers(servers: readonly string[]): string[] {
  return servers.filter((s) => {
    const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(s);
    if (bracketed) return isIP(bracketed[1]!) !== 6 || (bracketed[2] !== undefined && !validPort(bracketed[2]));
    if (isIP(s)) return false;
    const m = /^([0-9.]+):(\d{1,5})$/.exec(s);
    return !(m && isIP(m[1]!) === 4 && validPort(m[2]!));
  });
}

function validPort(p: string): boolean {
  const n = Number(p);
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

// c-ares error codes that mean "the name or the record does not exist" rather than a failure.
const ABSENT = new Set(['ENOTFOUND', 'ENODATA']);

export function createDnsClient(options: DnsClientOptions): DnsClient {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 1500, tries: options.tries ?? 2 });
  const configured = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
  if (configured) resolver.setServers(configured);
  options.signal?.addEventListener('abort', () => resolver.cancel(), { once: true });
  const servers = configured ?? [`system (${resolver.getServers().join(', ') || 'none'})`];
  const log: DnsQuery[] = [];

  async function query<T>(type: RrType, name: string, run: () => Promise<T[]>, show: (r: T) => string): Promise<T[]> {
    const started = options.clock.now();
    const entry: DnsQuery = { type, name, ms: 0 };
    log.push(entry);
    try {
      const answers = await run();
      entry.answers = answers.map(show);
      return answers;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
      if (ABSENT.has(code)) {
        entry.error = code === 'ENOTFOUND' ? 'NXDOMAIN' : 'NODATA';
        return [];
      }
      entry.error = code;
      throw new DnsLookupError(code, `the DNS query ${type} ${name} failed (${code}) at ${servers.join(', ')}`);
    } finally {
      entry.ms = Math.max(0, options.clock.now() - started);
    }
  }

  const client: DnsClient = {
    servers,
    log,
    async txt(name) {
      const records = await query(
        'TXT',
        name,
        () => resolver.resolveTxt(name),
        (chunks) => JSON.stringify(chunks.join('')),
      );
      return records.map((chunks) => chunks.join(''));
    },
    mx(name) {
      return query(
        'MX',
        name,
        () => resolver.resolveMx(name),
        (r) => `${r.priority} ${r.exchange || '.'}`,
      );
    },
    async addresses(name) {
      if (isIP(name)) return [name];
      const v4 = await query(
        'A',
        name,
        () => resolver.resolve4(name),
        (a) => a,
      );
      const v6 = await query(
        'AAAA',
        name,
        () => resolver.resolve6(name),
        (a) => a,
      );
      return [...v4, ...v6];
    },
    async resolve(name, rrtype) {
      const notFound = (): never => {
        throw Object.assign(new Error(`${rrtype} ${name}: no records`), { code: 'ENOTFOUND' });
      };
      switch (rrtype.toUpperCase()) {
        case 'TXT': {
          const records = await query(
            'TXT',
            name,
            () => resolver.resolveTxt(name),
            (chunks) => JSON.stringify(chunks.join('')),
          );
          return records.length > 0 ? records : notFound();
        }
        case 'MX': {
          const records = await client.mx(name);
          return records.length > 0 ? records : notFound();
        }
        case 'A': {
          const records = await query(
            'A',
            name,
            () => resolver.resolve4(name),
            (a) => a,
          );
          return records.length > 0 ? records : notFound();
        }
        case 'AAAA': {
          const records = await query(
            'AAAA',
            name,
            () => resolver.resolve6(name),
            (a) => a,
          );
          return records.length > 0 ? records : notFound();
        }
        default:
          return notFound();
      }
    },
  };
  return client;
}
