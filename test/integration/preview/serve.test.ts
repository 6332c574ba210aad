// The gallery server in-process, over a copy of templates/ and locales/ (edited to prove live reload).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGallery, type Gallery } from '../../../src/preview/serve.js';
import { MAIL_TYPE_DEFS } from '../../../src/templates/catalog.js';
import { defaultDirs } from '../../../src/templates/store.js';
import { LANGUAGES } from '../../helpers/catalog.js';

let dir: string;
let gallery: Gallery;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailctl-serve-'));
  const real = defaultDirs();
  cpSync(real.templatesDir, join(dir, 'templates'), { recursive: true });
  cpSync(real.localesDir, join(dir, 'locales'), { recursive: true });
  gallery = await startGallery({
    dirs: { templatesDir: join(dir, 'templates'), localesDir: join(dir, 'locales') },
    branding: { whiteLabel: false, applicationTitle: 'Acme Cloud' },
    port: 0,
    debounceMs: 50,
    log: (l) => logs.push(l),
  });
});

afterAll(async () => {
  await gallery?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw GET: the path is sent exactly as given (fetch would normalise ../). */
function get(path: string): Promise<{ status: number; type: string; body: string }> {
  const { port } = new URL(gallery.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 30_000 }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('preview --serve gallery', () => {
  it('listens on 127.0.0.1 and lists every type × language × brand', async () => {
    expect(gallery.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    const combos = [
      ...page.body.matchAll(/class="combo" href="\/mail\/([a-z-]+)\/([A-Za-z-]+)\/([a-z-]+)\.html"/g),
    ].map((m) => `${m[1]}/${m[2]}/${m[3]}`);
    expect(combos).toHaveLength(MAIL_TYPE_DEFS.length * LANGUAGES.length * 2);
    expect(combos).toContain('invite-member/zh-CN/white-label');
    expect(page.body).toContain(
      `<select id="lang">${LANGUAGES.map((l) => `<option value="${l}">${l}</option>`).join('')}</select>`,
    );
    expect((await get('/gallery.js')).body).toContain('new EventSource');
  });

  it('renders each combination as HTML, text and JSON', async () => {
    const json = JSON.parse((await get('/mail/reset-password/zh-CN/white-label.json')).body) as Record<string, unknown>;
    expect(json).toMatchObject({
      type: 'reset-password',
      lang: 'zh-CN',
      subject: '设置您的 Acme Cloud 密码',
      brand: 'white-label',
    });
    const text = await get('/mail/reset-password/en-US/default.txt');
    expect(text.type).toContain('text/plain');
    expect(text.body).toContain('Use this code to set a new password for your Dify account:');
    expect((await get('/mail/invite-member/en-US/default.html')).body).toMatch(/^<!doctype html>/i);
  });

  it.each([
    '/mail/%2e%2e%2f%2e%2e%2fpackage.json/en-US/default.html',
    '/mail/reset-password/..%2F..%2Fpackage/default.json',
    '/mail/../../package.json',
    '/..%2f..%2fpackage.json',
    '/mail/reset-password/en-US/default.mjml',
    '/mail/reset-password/fr-FR/default.html',
    '/mail/not-a-type/en-US/default.html',
    '/mail/reset-password/en-US/nobrand.html',
    '/templates/layout.mjml',
  ])('%s is 404 (names are looked up, never joined into paths)', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body).toBe('not found\n');
  });

  it('a port in use is refused with 69 and a hint, not a crash', async () => {
    const { port } = new URL(gallery.url);
    const err = await startGallery({
      dirs: { templatesDir: join(dir, 'templates'), localesDir: join(dir, 'locales') },
      branding: { whiteLabel: false },
      port: Number(port),
      watch: false,
    }).catch((e: unknown) => e as Error & { exitCode?: number; hint?: string });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    expect((err as { exitCode?: number }).exitCode).toBe(69);
  });

  it('pushes a reload event and serves the new text when a locale file changes', async () => {
    const { port } = new URL(gallery.url);
    const events: string[] = [];
    const sse = request({ host: '127.0.0.1', port, path: '/events' });
    const connected = new Promise<void>((resolve) => {
      sse.on('response', (res) => {
        res.setEncoding('utf8').on('data', (d: string) => {
          events.push(d);
          resolve();
        });
      });
    });
    sse.end();
    try {
      await connected;
      const file = join(dir, 'locales', 'en-US', 'reset-password.json');
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      data.heading = 'Choose a fresh password';
      writeFileSync(file, JSON.stringify(data));
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.includes('event: reload')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(events.join('')).toMatch(/event: reload\ndata: \{"files":\["locales\/en-US\/reset-password\.json"/);
      expect((await get('/mail/reset-password/en-US/default.txt')).body).toContain('Choose a fresh password');

      // A template change is recompiled with mjml on the next request.
      const body = join(dir, 'templates', 'reset-password.mjml');
      writeFileSync(body, readFileSync(body, 'utf8').replace('%%t:heading%%', '%%t:heading%% (edited)'));
      const before = gallery.reloads;
      while (gallery.reloads === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await get('/mail/reset-password/en-US/default.txt')).body).toContain('Choose a fresh password (edited)');
    } finally {
      sse.destroy();
    }
  });
});

describe('DNS rebinding: only loopback Host names are answered', () => {
  /** A raw request with exactly this Host header (as a browser sends after a rebinding). */
  function getAs(host: string, path = '/'): Promise<{ status: number; body: string }> {
    const { port } = new URL(gallery.url);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'GET', headers: { Host: host }, timeout: 30_000 },
        (res) => {
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (d: string) => (body += d))
            .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }
  const port = (): string => new URL(gallery.url).port;

  it.each(['evil.example', 'evil.example:PORT', 'localhost.evil.example:PORT', '127.0.0.1.nip.io:PORT'])(
    'Host: %s → 421, no gallery',
    async (host) => {
      const r = await getAs(host.replace('PORT', port()), `/mail/${MAIL_TYPE_DEFS[0]!.id}/en-US/default.json`);
      expect(r.status).toBe(421);
      expect(r.body).toMatch(/answers only to localhost/);
      expect(r.body).not.toMatch(/subject/);
    },
  );

  it.each(['localhost:PORT', '127.0.0.1:PORT', 'LOCALHOST:PORT', 'localhost'])('Host: %s → 200', async (host) => {
    const r = await getAs(host.replace('PORT', port()));
    expect(r.status).toBe(200);
  });
});
