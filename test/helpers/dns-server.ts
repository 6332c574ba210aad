/**
 * A real authoritative DNS server on 127.0.0.1 (dns2, UDP and TCP on the same port) serving a
 * zone of test records. Unknown names are NXDOMAIN; known names without the type are NODATA.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

// dns2 is CommonJS; its types describe the server loosely, so we keep to what we call.
const require = createRequire(import.meta.url);
const dns2 = require('dns2') as {
  createServer(options: {
    udp?: boolean;
    tcp?: boolean;
    handle: (req: DnsRequest, send: (res: unknown) => void) => void;
  }): DnsServer;
  Packet: {
    createResponseFromRequest(req: DnsRequest): DnsResponse;
    TYPE: Record<string, number>;
    CLASS: { IN: number };
    RCODE: Record<string, number>;
  };
};

interface DnsRequest {
  questions: { name: string; type: number }[];
}
interface DnsResponse {
  header: { rcode: number; aa?: number };
  answers: unknown[];
}
interface DnsServer {
  listen(options: Record<string, { port: number; address: string }>): Promise<{ udp?: AddressInfo; tcp?: AddressInfo }>;
  close(): Promise<void> | void;
  on(event: string, fn: (...args: unknown[]) => void): void;
}

export interface ZoneRecords {
  TXT?: string[];
  MX?: { exchange: string; priority: number }[];
  A?: string[];
  AAAA?: string[];
}
export type Zone = Record<string, ZoneRecords>;

export interface DnsHandle {
  /** `127.0.0.1:PORT`, for MAILCTL_DNS_SERVERS. */
  server: string;
  port: number;
  /** `TYPE name` of every question asked. */
  questions: string[];
  close(): Promise<void>;
}

/** TXT strings are at most 255 octets (RFC 1035 §3.3): long records go out as several strings. */
function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out.length > 0 ? out : [''];
}

export async function startDns(zone: Zone): Promise<DnsHandle> {
  const { Packet } = dns2;
  const names = new Map(Object.entries(zone).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
  const typeName = new Map(Object.entries(Packet.TYPE).map(([k, v]) => [v, k]));
  const questions: string[] = [];
  const handle = (req: DnsRequest, send: (res: unknown) => void): void => {
    const res = Packet.createResponseFromRequest(req);
    res.header.aa = 1;
    const q = req.questions[0];
    if (!q) return send(res);
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const type = typeName.get(q.type) ?? String(q.type);
    questions.push(`${type} ${name}`);
    const records = names.get(name);
    if (!records) {
      res.header.rcode = Packet.RCODE.NXDOMAIN!;
      return send(res);
    }
    const base = { name: q.name, class: Packet.CLASS.IN, ttl: 60 };
    if (type === 'TXT')
      for (const t of records.TXT ?? []) res.answers.push({ ...base, type: Packet.TYPE.TXT, data: chunks(t) });
    if (type === 'MX')
      for (const m of records.MX ?? [])
        res.answers.push({ ...base, type: Packet.TYPE.MX, exchange: m.exchange, priority: m.priority });
    if (type === 'A') for (const a of records.A ?? []) res.answers.push({ ...base, type: Packet.TYPE.A, address: a });
    if (type === 'AAAA')
      for (const a of records.AAAA ?? []) res.answers.push({ ...base, type: Packet.TYPE.AAAA, address: a });
    send(res);
  };
  // The UDP port is picked by the kernel; the same number may already be taken over TCP by another
  // test's server. dns2's listen() never settles on an error (EADDRINUSE), so we race it against the
  // error event and try another port.
  for (let attempt = 1; ; attempt++) {
    const udp = dns2.createServer({ udp: true, handle });
    const { udp: address } = await listenOrFail(udp, { udp: { port: 0, address: '127.0.0.1' } });
    const port = address!.port;
    // Large answers (a 2048-bit DKIM key) may be truncated over UDP; the resolver then asks over TCP.
    const tcp = dns2.createServer({ tcp: true, handle });
    try {
      await listenOrFail(tcp, { tcp: { port, address: '127.0.0.1' } });
    } catch (err) {
      // Not awaited: a server that never listened emits no 'close', so dns2's close() would not settle.
      void udp.close();
      void tcp.close();
      if (attempt >= 20) throw err;
      continue;
    }
    return handleOf(port, udp, tcp, questions);
  }
}

/** dns2's listen() waits for 'listening' only; an 'error' (EADDRINUSE) would leave it pending forever. */
async function listenOrFail(
  server: DnsServer,
  options: Record<string, { port: number; address: string }>,
): Promise<{ udp?: AddressInfo; tcp?: AddressInfo }> {
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(options).then(resolve, reject);
  });
}

function handleOf(port: number, udp: DnsServer, tcp: DnsServer, questions: string[]): DnsHandle {
  return {
    server: `127.0.0.1:${port}`,
    port,
    questions,
    close: async () => {
      await Promise.all([udp.close(), tcp.close()]);
    },
  };
}
