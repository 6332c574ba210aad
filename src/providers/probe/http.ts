/**
 * `verify-config --connect` for the HTTP providers: one cheap authenticated GET that proves the
 * key is accepted (SendGrid: its scopes include `mail.send`; Resend: the sender's domain is
 * verified in the account). Nothing is sent. The key is never shown: `Bearer ********`.
 */
import type { Config } from '../../config/index.js';
import { keyDef } from '../../config/keys.js';
import { providerSpec } from '../../config/providers.js';
import { MASK } from '../../config/redact.js';
import { ExitCode, ProbeFailure } from '../../errors.js';
import { domainOf, parseMailbox } from '../../message/address.js';
import { StageRecorder } from './stage-recorder.js';
import type { ProbeDeps, ProbeReport, ProbeStage } from '../types.js';

interface HttpAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  body: unknown;
  /** The body as text, cut short, for messages. */
  text: string;
}

interface Service {
  /** `SendGrid`, `Resend` */
  name: string;
  keyName: string;
  urlKey: string;
  timeoutKey: string;
}

/** What the probe names, from the provider's spec: its label and the env names of its HTTP keys. */
function serviceOf(mailType: string): Service {
  const spec = providerSpec(mailType);
  if (!spec?.http) throw new Error(`provider ${mailType} has no HTTP keys in its spec`);
  return {
    name: spec.label,
    keyName: keyDef(spec.http.apiKey).env,
    urlKey: keyDef(spec.http.baseUrl).env,
    timeoutKey: keyDef(spec.http.timeout).env,
  };
}

/** A GET bounded by `timeoutMs` and the abort signal; network failures become ProbeFailures. */
async function get(url: string, key: string, timeoutMs: number, deps: ProbeDeps, svc: Service): Promise<HttpAnswer> {
  const { name: service, urlKey } = svc;
  const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(timeoutMs)]);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', 'user-agent': 'mailctl verify-config' },
      signal,
      redirect: 'manual',
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (deps.signal.aborted) throw new ProbeFailure(ExitCode.TEMPFAIL, 'interrupted', undefined, 'interrupted');
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new ProbeFailure(
        ExitCode.TEMPFAIL,
        `${service} did not answer within ${timeoutMs} ms`,
        `the API is slow or a proxy holds the connection; ${svc.timeoutKey} sets the wait`,
        'timeout',
      );
    }
    const code = e.cause?.code ?? e.name;
    const host = new URL(url).host;
    const hint =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `${host} does not resolve: check ${urlKey} and this machine's DNS`
        : code === 'ECONNREFUSED'
          ? `nothing accepts connections at ${host}: check ${urlKey}`
          : `check ${urlKey}, and any proxy or firewall between this machine and ${host}`;
    throw new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `cannot reach ${service} at ${host} (${code})`,
      hint,
      `${code}${e.cause?.message ? `: ${e.cause.message}` : ''}`,
    );
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, statusText: res.statusText, headers: res.headers, body, text: text.slice(0, 300) };
}

/** The provider's own error words: SendGrid `errors[].message`, Resend `message`. */
function apiMessage(answer: HttpAnswer): string {
  const b = answer.body as { errors?: { message?: unknown }[]; message?: unknown } | undefined;
  const words = Array.isArray(b?.errors)
    ? b.errors
        .map((e) => String(e.message ?? ''))
        .filter(Boolean)
        .join('; ')
    : typeof b?.message === 'string'
      ? b.message
      : '';
  return words || answer.text.replace(/\s+/g, ' ').trim();
}

function statusLine(answer: HttpAnswer): string {
  const words = answer.status >= 400 ? apiMessage(answer) : '';
  return `${answer.status} ${answer.statusText}${words ? `: ${words}` : ''}`;
}

/** The contract's codes for an HTTP status that is not success. */
function httpFailure(answer: HttpAnswer, svc: Service, authHint: string): ProbeFailure {
  const { name: service, keyName, urlKey } = svc;
  const line = statusLine(answer);
  const { status } = answer;
  if (status === 401 || status === 403) {
    return new ProbeFailure(ExitCode.NOPERM, `${service} refused the API key (${status})`, authHint, line);
  }
  if (status === 429) {
    const reset = answer.headers.get('x-ratelimit-reset') ?? answer.headers.get('retry-after');
    return new ProbeFailure(
      ExitCode.TEMPFAIL,
      `${service} is rate-limiting this key (429)`,
      `try again later${reset ? ` (the API says: ${reset})` : ''}`,
      line,
    );
  }
  if (status >= 500)
    return new ProbeFailure(
      ExitCode.TEMPFAIL,
      `${service} had a server error (${status})`,
      "a problem on the provider's side; try again later",
      line,
    );
  if (status >= 300 && status < 400) {
    return new ProbeFailure(
      ExitCode.PROTOCOL,
      `${service} redirected the request (${status} to ${answer.headers.get('location') ?? '?'})`,
      `check ${urlKey}: it should be the API's base URL`,
      line,
    );
  }
  if (status === 404)
    return new ProbeFailure(
      ExitCode.UNAVAILABLE,
      `${service} has no such endpoint (404)`,
      `check ${urlKey}: it should be the API's base URL, without a path`,
      line,
    );
  return new ProbeFailure(
    ExitCode.UNAVAILABLE,
    `${service} refused the request (${status})`,
    `check ${keyName} and ${urlKey}`,
    line,
  );
}

/**
 * The `api` stage every HTTP provider's probe starts with: one GET of `path` under the base URL
 * its spec names, with its key; anything but 2xx fails the stage with the contract's code.
 * `tolerate` may accept a refusal that still proves the key (it sets a warning and the answer
 * is undefined).
 */
async function apiStage(
  rec: StageRecorder,
  config: Config,
  deps: ProbeDeps,
  mailType: string,
  path: string,
  keyHint: string,
  tolerate?: (answer: HttpAnswer, stage: ProbeStage) => boolean,
): Promise<HttpAnswer | undefined> {
  const svc = serviceOf(mailType);
  const http = providerSpec(mailType)!.http!;
  const v = config.values as Readonly<Record<string, unknown>>;
  const url = `${String(v[http.baseUrl])}${path}`;
  const apiKey = v[http.apiKey];
  const key = typeof apiKey === 'string' ? apiKey : '';
  return rec.stage('api', `GET ${url} (Authorization: Bearer ${MASK})`, async (stage) => {
    const a = await get(url, key, Number(v[http.timeout]), deps, svc);
    stage.reply = statusLine(a);
    if (tolerate?.(a, stage)) return undefined;
    if (a.status < 200 || a.status > 299) throw httpFailure(a, svc, keyHint);
    return a;
  });
}

/**
 * The probe of an HTTP API provider that needs no more than its key accepted: GET `path` (an
 * account or key endpoint that sends nothing) must answer 2xx. A registry entry's `probe` can
 * be this one line: `probeHttpApi(config, deps, 'NAME', '/v1/account')`.
 */
export async function probeHttpApi(
  config: Config,
  deps: ProbeDeps,
  mailType: string,
  path: string,
): Promise<ProbeReport> {
  const svc = serviceOf(mailType);
  const rec = new StageRecorder(() => deps.clock.now());
  try {
    await apiStage(rec, config, deps, mailType, path, `the key is wrong or revoked: check ${svc.keyName}`);
    return rec.passed();
  } catch (err) {
    return rec.failed(err);
  }
}

export async function probeSendgrid(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const rec = new StageRecorder(() => deps.clock.now());
  try {
    const answer = (await apiStage(
      rec,
      config,
      deps,
      'sendgrid',
      '/v3/scopes',
      'the key is wrong, revoked or from another account: create one in SendGrid → Settings → API Keys and set SENDGRID_API_KEY',
    ))!;
    await rec.stage('scopes', undefined, async (stage) => {
      const scopes = (answer.body as { scopes?: unknown } | undefined)?.scopes;
      if (!Array.isArray(scopes)) {
        throw new ProbeFailure(
          ExitCode.PROTOCOL,
          'SendGrid answered /v3/scopes without a list of scopes',
          'check SENDGRID_API_BASE_URL: it should be https://api.sendgrid.com or https://api.eu.sendgrid.com',
          answer.text,
        );
      }
      const has = scopes.includes('mail.send');
      stage.reply = `${scopes.length} scope${scopes.length === 1 ? '' : 's'}; mail.send ${has ? 'present' : 'MISSING'}`;
      if (!has) {
        throw new ProbeFailure(
          ExitCode.NOPERM,
          'the SendGrid API key lacks the mail.send scope: every send would be refused (403)',
          'edit the key in SendGrid → Settings → API Keys and give it Mail Send access (or Full Access)',
        );
      }
    });
    return rec.passed();
  } catch (err) {
    return rec.failed(err);
  }
}

interface ResendDomain {
  name?: unknown;
  status?: unknown;
}

export async function probeResend(config: Config, deps: ProbeDeps): Promise<ProbeReport> {
  const v = config.values;
  const from = v.defaultFrom === undefined ? undefined : parseMailbox(v.defaultFrom)?.address;
  const rec = new StageRecorder(() => deps.clock.now());
  try {
    const answer = await apiStage(
      rec,
      config,
      deps,
      'resend',
      '/domains',
      'the key is wrong or revoked: create one in Resend → API Keys and set RESEND_API_KEY',
      (a, stage) => {
        // A "sending access" key may send but not list domains: the key is good, the domain unknown.
        const name = (a.body as { name?: unknown } | undefined)?.name;
        if ((a.status !== 401 && a.status !== 403) || name !== 'restricted_api_key') return false;
        stage.warning = "this key may only send, so the sender's domain could not be checked";
        return true;
      },
    );
    if (answer && from) {
      await rec.stage('domain', domainOf(from), async (stage) => {
        const data = (answer.body as { data?: unknown } | undefined)?.data;
        if (!Array.isArray(data)) {
          throw new ProbeFailure(
            ExitCode.PROTOCOL,
            'Resend answered /domains without a list of domains',
            'check RESEND_API_URL: it should be https://api.resend.com',
            answer.text,
          );
        }
        const domain = domainOf(from);
        const found = (data as ResendDomain[]).find(
          (d) => typeof d.name === 'string' && d.name.toLowerCase() === domain,
        );
        if (!found) {
          stage.reply = `not among the account's ${data.length} domain${data.length === 1 ? '' : 's'}`;
          throw new ProbeFailure(
            ExitCode.UNAVAILABLE,
            `the sender's domain ${domain} is not in this Resend account: Resend refuses to send from it`,
            'add and verify the domain in Resend → Domains, or set MAIL_DEFAULT_SEND_FROM to an address of a verified domain',
          );
        }
        stage.reply = `${domain}: ${String(found.status)}`;
        if (found.status !== 'verified') {
          throw new ProbeFailure(
            ExitCode.UNAVAILABLE,
            `the sender's domain ${domain} is ${String(found.status)} in Resend, not verified: Resend refuses to send from it`,
            'publish the DNS records Resend shows under Domains, then verify the domain',
          );
        }
      });
    }
    return rec.passed();
  } catch (err) {
    return rec.failed(err);
  }
}
