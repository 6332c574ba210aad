/** Self-signed certificates for TLS test servers, made in the test (never read from disk). */
import { generate } from 'selfsigned';

export interface Cert {
  key: string;
  cert: string;
}

const made = new Map<string, Promise<Cert>>();

/**
 * A self-signed certificate for `name` (and the IP address `ip`; `null` leaves it out of the names).
 * One per name and address per test process: RSA key generation is slow on a loaded machine.
 */
export function selfSignedCert(name = 'localhost', ip: string | null = '127.0.0.1'): Promise<Cert> {
  const id = `${name} ${ip ?? ''}`;
  let cert = made.get(id);
  if (!cert) {
    cert = generate([{ name: 'commonName', value: name }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'subjectAltName', altNames: [{ type: 2, value: name }, ...(ip ? [{ type: 7 as const, ip }] : [])] },
      ],
    }).then((pems) => ({ key: pems.private, cert: pems.cert }));
    made.set(id, cert);
  }
  return cert;
}
