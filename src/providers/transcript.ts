/**
 * The SMTP dialogue as swaks prints it (`send --transcript`, `--debug`, `drain --debug`), from
 * nodemailer's bunyan-style logger: `<-` what the server said, ` ->` what we sent, `===` what
 * happened on the connection. What authenticates is never shown: the argument of an AUTH command
 * and every line we send until the server has answered the login are replaced by `********`
 * (nodemailer already swaps the password itself for "/* secret *\/"; this covers the rest: the
 * user name inside AUTH PLAIN and LOGIN, an XOAUTH2 token). The message body is summed up, not copied.
 */
import { format } from 'node:util';

const MASK = '********';

type Entry = { tnx?: string; cid?: string | number; [k: string]: unknown };
type LogFn = (entry: Entry, message?: unknown, ...args: unknown[]) => void;
export type BunyanLike = Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', LogFn>;

/** A logger for nodemailer's `logger` option (with `transactionLog: true`) that writes transcript lines. */
export function transcriptLogger(write: (line: string) => void): BunyanLike {
  // Per connection (a pool has several): inside an AUTH exchange, until its final reply.
  const inAuth = new Map<string, boolean>();
  const log: LogFn = (entry, message, ...args) => {
    const text = format(typeof message === 'string' ? message : String(message ?? ''), ...args);
    for (const line of transcriptLines(entry, text, inAuth)) write(line);
  };
  return { trace: () => {}, debug: log, info: log, warn: log, error: log, fatal: log };
}

/** Pure: one logger call → the lines to print. `inAuth` carries the AUTH state of each connection. */
export function transcriptLines(entry: Entry, text: string, inAuth: Map<string, boolean>): string[] {
  const cid = entry.cid === undefined ? '' : String(entry.cid);
  const tag = cid ? `[${cid}] ` : '';
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  switch (entry.tnx) {
    case 'server': {
      // 235 (logged in) or any final failure ends the AUTH exchange; 334 asks for more.
      if (inAuth.get(cid) && !/^334[ -]/.test(lines[0] ?? '')) inAuth.set(cid, false);
      return lines.map((l) => `${tag}<-  ${l}`);
    }
    case 'client':
      return lines.map((l) => {
        const auth = /^(AUTH\s+\S+)(\s.*)?$/i.exec(l);
        if (auth) {
          inAuth.set(cid, true);
          return `${tag} -> ${auth[1]}${auth[2] ? ` ${MASK}` : ''}`;
        }
        return `${tag} -> ${inAuth.get(cid) ? MASK : l}`;
      });
    case 'message':
      // The body itself is not copied; its size line is kept.
      return entry.outByteCount === undefined ? [] : lines.map((l) => `${tag}=== ${l}`);
    default:
      return lines.map((l) => `${tag}=== ${l}`);
  }
}
