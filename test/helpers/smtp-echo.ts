/**
 * A hostile SMTP server for secret-leak tests: a raw `net` server on 127.0.0.1, port 0, that
 * refuses every login with 535 and quotes back the credentials it received, as some relays do:
 *
 *   plain    `535 Authentication failed for: AUTH PLAIN <base64 of \0user\0pass>`
 *   login    `535 Authentication failed for: AUTH LOGIN <base64 user> <base64 pass>`
 *   decoded  `535 Authentication failed for user <user> with password <pass>` (the raw password)
 *   xoauth2  `535 Authentication failed for: AUTH XOAUTH2 <base64 of user=…^Aauth=Bearer TOKEN^A^A>`
 *   xoauth2-decoded  `535 Authentication failed for user <user> with token <TOKEN>` (the raw bearer token)
 *
 * With `tls` (a key and certificate) it speaks implicit TLS, as XOAUTH2 requires.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export type EchoMode = 'plain' | 'login' | 'decoded' | 'xoauth2' | 'xoauth2-decoded';

export interface EchoSmtpServer {
  port: number;
  /** Every AUTH line received (base64 as sent). */
  authLines: string[];
  close(): Promise<void>;
}

export async function startEchoSmtpServer(
  mode: EchoMode = 'plain',
  tls?: { key: string; cert: string },
): Promise<EchoSmtpServer> {
  const authLines: string[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const send = (line: string): void => void socket.write(`${line}\r\n`);
    let pending: ((line: string) => void) | undefined;
    let buffer = '';
    send('220 echo.example ESMTP');
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (pending) {
          const next = pending;
          pending = undefined;
          next(line);
          continue;
        }
        onCommand(line);
      }
    });
    const refuse = (user64: string, pass64: string, sasl: string): void => {
      const user = Buffer.from(user64, 'base64').toString('utf8');
      const pass = Buffer.from(pass64, 'base64').toString('utf8');
      if (mode === 'decoded') send(`535 5.7.8 Authentication failed for user ${user} with password ${pass}`);
      else send(`535 5.7.8 Authentication failed for: ${sasl}`);
    };
    const onCommand = (line: string): void => {
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') {
        send('250-echo.example');
        send(
          mode.startsWith('xoauth2')
            ? '250-AUTH XOAUTH2'
            : mode === 'login'
              ? '250-AUTH LOGIN'
              : '250-AUTH PLAIN LOGIN',
        );
        send('250 8BITMIME');
      } else if (verb === 'HELO') send('250 echo.example');
      else if (verb === 'AUTH') {
        authLines.push(line);
        const [, mech, initial] = line.split(' ');
        if (mech?.toUpperCase() === 'PLAIN') {
          const answer = (b64: string): void => {
            const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
            refuse(
              Buffer.from(parts[1] ?? '').toString('base64'),
              Buffer.from(parts[2] ?? '').toString('base64'),
              `AUTH PLAIN ${b64}`,
            );
          };
          if (initial) answer(initial);
          else {
            send('334 ');
            pending = (l) => (authLines.push(l), answer(l));
          }
        } else if (mech?.toUpperCase() === 'LOGIN') {
          const askPassword = (user64: string): void => {
            send('334 UGFzc3dvcmQ6');
            pending = (pass64) => (authLines.push(pass64), refuse(user64, pass64, `AUTH LOGIN ${user64} ${pass64}`));
          };
          if (initial) askPassword(initial);
          else {
            send('334 VXNlcm5hbWU6');
            pending = (user64) => (authLines.push(user64), askPassword(user64));
          }
        } else if (mech?.toUpperCase() === 'XOAUTH2' && initial) {
          const [user, auth] = Buffer.from(initial, 'base64').toString('utf8').split('\u0001');
          if (mode === 'xoauth2-decoded')
            send(
              `535 5.7.8 Authentication failed for ${user ?? '?'} with token ${(auth ?? '').replace(/^auth=Bearer /, '')}`,
            );
          else send(`535 5.7.8 Authentication failed for: AUTH XOAUTH2 ${initial}`);
        } else send('504 5.5.4 Unrecognized authentication type');
      } else if (verb === 'QUIT') {
        send('221 Bye');
        socket.end();
      } else if (verb === 'RSET' || verb === 'NOOP') send('250 OK');
      else send('530 5.7.0 Authentication required');
    };
  };
  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, onConnection)
    : createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    authLines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
