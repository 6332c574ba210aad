/**
 * Masks secrets on every output path (text, `--json`, `--debug`) and before anything is written
 * to a job. One `Redactor` per run knows every secret in force: each key flagged `secret` in
 * keys.ts, passwords written into URLs, and runtime secrets a provider registers (an OAuth2
 * access token). It masks them in every form a server or a library may echo back: raw,
 * JSON-escaped, URL-encoded, base64 alone (AUTH LOGIN), inside AUTH PLAIN (`\0user\0pass`,
 * `user\0user\0pass`) and XOAUTH2 (`user=…\x01auth=Bearer TOKEN\x01\x01`) strings, and any other
 * base64 word that decodes to text holding a secret.
 */
import { allKeys, type KeyDef } from './keys.js';
import type { Config } from './resolve.js';

export const MASK = '********';

/** Shorter secrets are not masked inside other text: masking every "abc" would garble the output. */
const MIN_SECRET_LENGTH = 4;

// `scheme://user:password@host`: a password written into a URL (redis://:pw@host) is a secret too.
// The password runs to the LAST `@` of the authority (as WHATWG URL parses it), so that
// `redis://:abc@Secret99@host` masks all of `abc@Secret99`.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#]*)(@)/i;

// A word that may be base64 (or base64url): long enough to hide a secret of MIN_SECRET_LENGTH.
const BASE64_WORD = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

/** Where providers register secrets that exist only at run time (an OAuth2 access token). */
export interface SecretRegistry {
  /** `user`: the login name it is sent with (AUTH PLAIN, XOAUTH2), so those strings are known too. */
  add(secret: string | undefined, options?: { user?: string | undefined }): void;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Every form in which `secret` may show up in a text, for the given login names. */
export function encodingsOf(secret: string, users: Iterable<string> = []): string[] {
  const forms: string[] = [];
  if (secret.length >= MIN_SECRET_LENGTH) {
    forms.push(secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret));
    forms.push(encodeURIComponent(secret).replace(/%20/g, '+'));
    const b64 = base64(secret);
    forms.push(b64, b64.replace(/=+$/, ''), Buffer.from(secret).toString('base64url'));
    // A PEM key printed line by line: each long line of it is secret on its own.
    for (const line of secret.split(/\r?\n|\\n/)) if (line.length >= 16 && line !== secret) forms.push(line);
  }
  if (secret.length > 0) {
    for (const user of new Set(['', ...users])) {
      forms.push(
        base64(`\0${user}\0${secret}`), // AUTH PLAIN, RFC 4616
        base64(`${user}\0${user}\0${secret}`), // AUTH PLAIN with an authorisation identity
        base64(`user=${user}\x01auth=Bearer ${secret}\x01\x01`), // XOAUTH2
      );
    }
  }
  return forms;
}

export class Redactor implements SecretRegistry {
  private readonly secrets = new Map<string, Set<string>>();
  /** Every form, longest first, so that a longer form is masked whole before a part of it. */
  private forms: string[] | undefined;
  private raw: Buffer[] | undefined;

  add(secret: string | undefined, options: { user?: string | undefined } = {}): void {
    if (typeof secret !== 'string' || secret.length === 0) return;
    let users = this.secrets.get(secret);
    if (!users) this.secrets.set(secret, (users = new Set()));
    if (options.user) users.add(options.user);
    this.forms = undefined;
  }

  /**
   * Every secret of a configuration: each key flagged secret (with the non-secret values of its
   * own section as possible login names, e.g. smtp.username for smtp.password) and URL passwords.
   */
  addConfig(config: Config): this {
    const values = config.values as Record<string, unknown>;
    const keys = allKeys();
    for (const def of keys.filter((k) => k.secret)) {
      const section = def.path.slice(0, def.path.lastIndexOf('.') + 1);
      const neighbours = keys
        .filter((k) => !k.secret && section !== '' && k.path.startsWith(section))
        .map((k) => values[k.path])
        .filter((v): v is string => typeof v === 'string');
      const value = values[def.path];
      if (typeof value !== 'string') continue;
      this.add(value);
      for (const user of neighbours) this.add(value, { user });
    }
    for (const v of Object.values(values)) this.addUrlPassword(v);
    return this;
  }

  /** The secrets of the environment alone: known before a config file is read (or fails to be). */
  addEnv(env: Readonly<Record<string, string | undefined>>): this {
    for (const def of allKeys()) {
      const value = env[def.env];
      if (def.secret) this.add(value);
      else this.addUrlPassword(value);
    }
    return this;
  }

  private addUrlPassword(value: unknown): void {
    const m = typeof value === 'string' ? URL_PASSWORD.exec(value) : null;
    if (!m?.[2]) return;
    this.add(m[2]);
    this.add(decodeURIComponentSafe(m[2]));
  }

  /** The raw secrets (for callers that hand them on, e.g. `secretsOf`). */
  values(): string[] {
    return [...this.secrets.keys()];
  }

  /** `text` with every known secret, in every known form, replaced by the mask. */
  redact(text: string): string {
    if (this.secrets.size === 0 || text.length === 0) return text;
    if (!this.forms || !this.raw) {
      const forms = new Set<string>();
      for (const [secret, users] of this.secrets) for (const f of encodingsOf(secret, users)) forms.add(f);
      this.forms = [...forms].sort((a, b) => b.length - a.length);
      this.raw = this.values()
        .filter((s) => s.length >= MIN_SECRET_LENGTH)
        .map((s) => Buffer.from(s, 'utf8'));
    }
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(MASK);
    // Base64 of a string we cannot predict (another login name, a longer SASL string): mask any
    // word that decodes to bytes holding a secret.
    const raw = this.raw;
    if (raw.length === 0) return out;
    return out.replace(BASE64_WORD, (word) => {
      const decoded = Buffer.from(word, 'base64');
      return raw.some((s) => decoded.includes(s)) ? MASK : word;
    });
  }

  /** A job's error texts (history, lastError) scrubbed in place, before the job is written. */
  redactJob<J extends JobTexts>(job: J): J {
    const scrub = (o: ErrorTexts | undefined): void => {
      if (!o) return;
      if (typeof o.message === 'string') o.message = this.redact(o.message);
      if (typeof o.error === 'string') o.error = this.redact(o.error);
      if (typeof o.reply === 'string') o.reply = this.redact(o.reply);
    };
    scrub(job.lastError);
    for (const entry of job.history ?? []) scrub(entry);
    return job;
  }
}

/** The parts of a job that carry a provider's words (spool/job.ts's Job fits). */
interface JobTexts {
  lastError?: ErrorTexts | undefined;
  history?: ErrorTexts[] | undefined;
}
interface ErrorTexts {
  message?: string | undefined;
  error?: string | undefined;
  reply?: string | undefined;
}

/** A redactor that knows the secrets of `config`. */
export function redactorOf(config: Config): Redactor {
  return new Redactor().addConfig(config);
}

/** The display form of a value: secrets masked, passwords inside URLs masked, everything else as is. */
export function displayValue(def: KeyDef, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (def.secret) return MASK;
  return typeof value === 'string' ? value.replace(URL_PASSWORD, `$1${MASK}$3`) : value;
}

/** Every secret value in force, so that any text can be scrubbed before it is printed. */
export function secretsOf(config: Config): string[] {
  return redactorOf(config).values();
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Replaces every occurrence of each secret, in each of its encodings, with the mask. */
export function redact(text: string, secrets: readonly string[]): string {
  const redactor = new Redactor();
  for (const s of secrets) redactor.add(s);
  return redactor.redact(text);
}

/** The whole configuration as display rows, secrets masked. */
export function configRows(config: Config): { key: string; env: string; value: unknown }[] {
  return allKeys().map((k) => ({
    key: k.path,
    env: k.env,
    value: displayValue(k, (config.values as Record<string, unknown>)[k.path]),
  }));
}
