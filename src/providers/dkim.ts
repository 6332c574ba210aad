/**
 * DKIM options from the configuration. Kept apart from the provider factory so that the DNS and
 * message checks can read the signing key without loading any provider.
 */
import { readText } from '../read-file.js';
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { DkimOptions } from './mime.js';

/** DKIM signing options when DKIM_DOMAIN, DKIM_SELECTOR and a key are all set; else undefined. */
export async function dkimOptionsFrom(config: Config, cwd: string): Promise<DkimOptions | undefined> {
  const v = config.values;
  const domainName = v['dkim.domain'];
  const keySelector = v['dkim.selector'];
  if (domainName === undefined || keySelector === undefined) return undefined;
  let privateKey = v['dkim.privateKey'];
  if (privateKey === undefined && v['dkim.privateKeyPath'] !== undefined) {
    const path = resolve(cwd, v['dkim.privateKeyPath']);
    try {
      privateKey = await readText(path);
    } catch (err) {
      throw new ConfigError(`cannot read DKIM_PRIVATE_KEY_PATH ${path}: ${(err as Error).message}`, {
        hint: 'point it at a readable PEM file',
        cause: err,
      });
    }
  }
  if (privateKey === undefined) return undefined;
  if (!privateKey.includes('PRIVATE KEY'))
    throw new ConfigError('the DKIM private key is not a PEM private key', {
      hint: 'generate one with `openssl genrsa 2048`',
    });
  // Env values often carry the PEM with literal \n (one-line .env files).
  return {
    domainName,
    keySelector,
    privateKey: privateKey.includes('\\n') ? privateKey.replace(/\\n/g, '\n') : privateKey,
  };
}
