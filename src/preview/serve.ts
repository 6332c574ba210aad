/**
 * `preview --serve`: a gallery of every type × language × brand on 127.0.0.1, with live reload
 * (server-sent events) when a file under templates/ or locales/ changes. Templates are compiled
 * with mjml on demand (the --serve path is the one preview path allowed to load it).
 *
 * Requests never become paths: `/mail/<type>/<lang>/<brand>.<ext>` is matched segment by segment
 * against the catalog, the locales folders and the brand list, undecoded; anything else is 404.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '../errors.js';
import { LiveStore, type LiveDirs } from '../templates/live.js';
import { formatTypesProblem } from '../templates/types-file.js';
import { renderWith, type Branding } from '../templates/render.js';
import { galleryPage, GALLERY_SCRIPT } from './gallery.js';

export const GALLERY_BRANDS = ['default', 'white-label'] as const;

export interface GalleryOptions {
  /** The built-in sources, and the operator's directory laid over them (watched too). */
  dirs: LiveDirs;
  /** The configured branding; `white-label` renders it with whiteLabel on, `default` with it off. */
  branding: Branding;
  /** 0 = a free port */
  port: number;
  /** Called for each log line (stderr). */
  log?: (line: string) => void;
  /** Watch templates/ and locales/ for live reload. @defaultValue true */
  watch?: boolean;
  /** Debounce for file events, ms. @defaultValue 100 */
  debounceMs?: number;
}

export interface Gallery {
  url: string;
  /** How many reloads were broadcast. */
  readonly reloads: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const MAIL_PATH = /^\/mail\/([^/]+)\/([^/]+)\/([^/]+)\.(html|txt|json)$/;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a request's Host header names this gallery on loopback: `localhost`, `127.0.0.1` or
 * `[::1]`, without a port or with ours. Anything else is DNS rebinding (a page on
 * evil.example whose name now resolves to 127.0.0.1 reading the gallery from the victim's
 * browser), so it is refused.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  const m = host === undefined ? null : /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!m) return false;
  return LOOPBACK_NAMES.has(m[1]!) && (m[2] === undefined || Number(m[2]) === port);
}

export async function startGallery(opts: GalleryOptions): Promise<Gallery> {
  const store = new LiveStore(opts.dirs, false);
  const log = opts.log ?? (() => {});
  // MJML problems go to stderr once per compile, not once per request.
  const reported = new Set<string>();
  const reportTypes = (): void => {
    for (const p of store.typeProblems) log(`preview: ${formatTypesProblem(p)}`);
  };
  reportTypes();
  const clients = new Set<ServerResponse>();
  let reloads = 0;

  const brandingOf = (brand: string): Branding =>
    brand === 'white-label' ? { ...opts.branding, whiteLabel: true } : { ...opts.branding, whiteLabel: false };

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...extra });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopbackHost(req.headers.host, (server.address() as AddressInfo).port))
      return send(
        res,
        421,
        'text/plain; charset=utf-8',
        'misdirected request: this gallery answers only to localhost\n',
      );
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') {
      const page = galleryPage({
        types: store.mailTypes().map((d) => ({ id: d.id, description: d.description, category: d.category })),
        languages: store.languages(),
        brands: GALLERY_BRANDS,
      });
      return send(res, 200, 'text/html; charset=utf-8', page, {
        'Content-Security-Policy':
          "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src * data:; frame-src 'self' about:; connect-src 'self'",
      });
    }
    if (path === '/gallery.js') return send(res, 200, 'text/javascript; charset=utf-8', GALLERY_SCRIPT);
    if (path === '/events') {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        Connection: 'keep-alive',
        ...SECURITY_HEADERS,
      });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const m = MAIL_PATH.exec(path);
    const def = m ? store.mailType(m[1]!) : undefined;
    const lang = m ? store.languages().find((l) => l === m[2]) : undefined;
    const brand = m ? GALLERY_BRANDS.find((b) => b === m[3]) : undefined;
    if (!m || !def || !lang || !brand) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    const ext = m[4]!;
    try {
      const problems = await store.prepare(def.id);
      // One line per distinct problem (the four layout variants usually repeat it).
      const errors = [...new Set(problems.map((p) => `${p.file}: MJML ${p.message}`))];
      if (!reported.has(def.id)) {
        reported.add(def.id);
        for (const e of errors) log(`preview: ${def.id}: ${e}`);
      }
      const r = renderWith(store, { type: def.id, lang, vars: {}, branding: brandingOf(brand), useSamples: true });
      const warnings = r.warnings;
      if (ext === 'html')
        return send(res, 200, 'text/html; charset=utf-8', r.html, { 'Content-Security-Policy': "script-src 'none'" });
      if (ext === 'txt') return send(res, 200, 'text/plain; charset=utf-8', r.text);
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ ...r, brand, warnings, errors }));
    } catch (err) {
      const message = (err as Error).message;
      log(`preview: ${def.id} ${lang} ${brand}: ${message}`);
      if (ext === 'json') return send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
      return send(res, 500, 'text/plain; charset=utf-8', `${message}\n`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new UnavailableError(
          `cannot listen on 127.0.0.1:${opts.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
          {
            hint: 'choose another --port, or --port 0 for a free one',
            cause: err,
          },
          'unavailable.listen',
        ),
      );
    };
    server.once('error', onError);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });

  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const onChange =
    (dir: string) =>
    (_event: string, file: string | Buffer | null): void => {
      changed.add(file ? `${dir}/${String(file)}` : dir);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed];
        changed.clear();
        reported.clear();
        try {
          store.invalidate();
          reportTypes();
        } catch (err) {
          log(`preview: ${(err as Error).message}`);
        }
        reloads += 1;
        log(`preview: changed ${files.join(', ')}; reloading ${clients.size} page(s)`);
        const data = JSON.stringify({ files });
        for (const c of clients) c.write(`event: reload\ndata: ${data}\n\n`);
      }, opts.debounceMs ?? 100);
    };
  if (opts.watch !== false) {
    const watched: [string, string][] = [
      [opts.dirs.templatesDir, 'templates'],
      [opts.dirs.localesDir, 'locales'],
    ];
    if (opts.dirs.overlayDir) watched.push([opts.dirs.overlayDir, opts.dirs.overlayDir]);
    for (const [dir, name] of watched) {
      try {
        const w = watch(dir, { recursive: true }, onChange(name));
        w.on('error', (err) => log(`preview: watching ${dir} failed: ${err.message}`));
        watchers.push(w);
      } catch (err) {
        log(`preview: cannot watch ${dir} (${(err as Error).message}); live reload is off for it`);
      }
    }
  }

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get reloads() {
      return reloads;
    },
    async close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
