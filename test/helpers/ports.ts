/** Ports for tests: one on 127.0.0.1 that refuses connections. */
import { createServer, type AddressInfo } from 'node:net';

/** A port on 127.0.0.1 that nothing listens on, so a connect is refused (bound by the kernel, then released). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
