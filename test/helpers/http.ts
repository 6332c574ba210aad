/**
 * A local HTTP API for provider tests (SendGrid, Resend): 127.0.0.1, port 0, records every
 * request (method, path, headers, parsed JSON body) and answers what the test's responder says.
 *
 *   const api = await startHttpServer(() => ({ status: 202, headers: { 'x-message-id': 'abc' } }));
 *   ... SENDGRID_API_BASE_URL=api.url ...
 *   api.requests[0].json            // the payload
 *   await api.close();              // in afterAll
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: unknown;
  /** Never answer (for timeouts): the socket is left open until close(). */
  hang?: boolean;
  /** Send the status and headers at once, then the body one byte every `intervalMs` (an idle timeout never fires). */
  trickle?: { intervalMs: number };
}

export type Responder = (req: RecordedRequest, index: number) => HttpAnswer | Promise<HttpAnswer>;

export interface TestHttpServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replace the responder (e.g. per test). */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startHttpServer(
  responder: Responder = () => ({ status: 200, body: {} }),
): Promise<TestHttpServer> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
      };
      requests.push(recorded);
      Promise.resolve(current(recorded, requests.length - 1)).then(
        (answer) => {
          if (answer.hang) return;
          const payload =
            answer.body === undefined
              ? ''
              : typeof answer.body === 'string'
                ? answer.body
                : JSON.stringify(answer.body);
          res.writeHead(answer.status, {
            ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}),
            ...answer.headers,
          });
          if (answer.trickle) {
            let sent = 0;
            res.flushHeaders();
            const timer = setInterval(() => {
              if (res.destroyed || sent >= payload.length) {
                clearInterval(timer);
                res.end();
                return;
              }
              res.write(payload[sent++]);
            }, answer.trickle.intervalMs);
            res.on('close', () => clearInterval(timer));
            return;
          }
          res.end(payload);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('http test server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    respond(r) {
      current = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
