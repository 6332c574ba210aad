/** The gallery page of `preview --serve` and its script (served as /gallery.js, no inline script). */
import { escapeHtml } from '../templates/render.js';

export interface GalleryModel {
  types: { id: string; description: string; category: string }[];
  languages: readonly string[];
  brands: readonly string[];
}

export function galleryPage(m: GalleryModel): string {
  const options = (values: readonly string[]): string =>
    values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('');
  const nav = m.types
    .map((t) => {
      const links = m.languages
        .flatMap((l) =>
          m.brands.map(
            (b) =>
              `<a class="combo" href="/mail/${t.id}/${l}/${b}.html" data-type="${t.id}" data-lang="${l}" data-brand="${b}" title="${escapeHtml(`${t.id} · ${l} · ${b}`)}">${escapeHtml(l)} · ${escapeHtml(b)}</a>`,
          ),
        )
        .join('');
      return `<li><button type="button" class="type" data-type="${t.id}" title="${escapeHtml(t.description)}">${t.id}<small>${t.category}</small></button><div class="combos">${links}</div></li>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailctl preview gallery</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "WenQuanYi Zen Hei", sans-serif; color: #101828; background: #F2F4F7; display: grid; grid-template-columns: 320px 1fr; height: 100vh; }
  nav { overflow: auto; background: #fff; border-right: 1px solid #EAECF0; padding: 12px; }
  nav ul { list-style: none; margin: 0; padding: 0; }
  nav li { margin: 0 0 6px 0; }
  .type { width: 100%; text-align: left; border: 0; background: none; padding: 6px 8px; border-radius: 6px; font: inherit; cursor: pointer; display: flex; justify-content: space-between; }
  .type small { color: #676F83; }
  .type.active { background: #EFF4FF; color: #155AEF; font-weight: 600; }
  .combos { display: flex; flex-wrap: wrap; gap: 4px; padding: 2px 8px 4px; }
  .combo { font-size: 11px; color: #676F83; text-decoration: none; border: 1px solid #EAECF0; border-radius: 4px; padding: 0 4px; }
  main { display: flex; flex-direction: column; min-width: 0; }
  header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; background: #fff; border-bottom: 1px solid #EAECF0; }
  header h1 { font-size: 15px; margin: 0 12px 0 0; }
  .seg button { font: inherit; border: 1px solid #D0D5DD; background: #fff; padding: 3px 10px; cursor: pointer; }
  .seg button:first-child { border-radius: 6px 0 0 6px; } .seg button:last-child { border-radius: 0 6px 6px 0; }
  .seg button[aria-pressed="true"] { background: #155AEF; color: #fff; border-color: #155AEF; }
  #meta { padding: 10px 16px; }
  #subject { font-size: 16px; font-weight: 600; }
  #info, #warnings { color: #676F83; font-size: 12px; }
  #error { display: none; margin: 0 16px; padding: 8px 12px; background: #FEF3F2; color: #B42318; border: 1px solid #FECDCA; border-radius: 6px; white-space: pre-wrap; }
  #stage { flex: 1; overflow: auto; padding: 16px; display: flex; justify-content: center; }
  #frame { border: 0; background: #fff; width: 640px; height: 100%; min-height: 600px; box-shadow: 0 1px 3px rgba(16,24,40,.1); }
  #frame.mobile, #text.mobile { width: 375px; }
  #text { display: none; width: 640px; margin: 0; padding: 16px; background: #fff; white-space: pre-wrap; font: 13px/1.5 ui-monospace, monospace, "WenQuanYi Zen Hei"; box-shadow: 0 1px 3px rgba(16,24,40,.1); }
  #toast { position: fixed; right: 16px; bottom: 16px; background: #101828; color: #fff; padding: 6px 12px; border-radius: 6px; opacity: 0; transition: opacity .3s; }
  #toast.show { opacity: .9; }
</style>
</head>
<body>
<nav><ul id="types">${nav}</ul></nav>
<main>
  <header>
    <h1>mailctl preview</h1>
    <label>Language <select id="lang">${options(m.languages)}</select></label>
    <label>Brand <select id="brand">${options(m.brands)}</select></label>
    <span class="seg" id="width"><button type="button" data-width="desktop" aria-pressed="true">Desktop</button><button type="button" data-width="mobile" aria-pressed="false">Mobile</button></span>
    <span class="seg" id="format"><button type="button" data-format="html" aria-pressed="true">HTML</button><button type="button" data-format="text" aria-pressed="false">Text</button></span>
  </header>
  <div id="meta"><div id="subject"></div><div id="info"></div><div id="warnings"></div></div>
  <div id="error" role="alert"></div>
  <div id="stage"><iframe id="frame" title="rendered mail" sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe><pre id="text"></pre></div>
</main>
<div id="toast">reloaded</div>
<script src="/gallery.js"></script>
</body>
</html>
`;
}

export const GALLERY_SCRIPT = `(() => {
  const $ = (id) => document.getElementById(id);
  const first = document.querySelector('.type');
  const state = { type: first ? first.dataset.type : '', lang: $('lang').value, brand: $('brand').value, width: 'desktop', format: 'html' };
  const fromHash = new URLSearchParams(location.hash.slice(1));
  for (const k of Object.keys(state)) if (fromHash.get(k)) state[k] = fromHash.get(k);
  let seq = 0;
  function paint() {
    document.querySelectorAll('.type').forEach((b) => b.classList.toggle('active', b.dataset.type === state.type));
    $('lang').value = state.lang; $('brand').value = state.brand;
    document.querySelectorAll('#width button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.width === state.width)));
    document.querySelectorAll('#format button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.format === state.format)));
    $('frame').classList.toggle('mobile', state.width === 'mobile');
    $('text').classList.toggle('mobile', state.width === 'mobile');
    $('frame').style.display = state.format === 'html' ? '' : 'none';
    $('text').style.display = state.format === 'text' ? 'block' : 'none';
    history.replaceState(null, '', '#' + new URLSearchParams(state).toString());
  }
  async function load() {
    paint();
    const mine = ++seq;
    document.body.dataset.loading = 'true';
    try {
      const res = await fetch('/mail/' + state.type + '/' + state.lang + '/' + state.brand + '.json', { cache: 'no-store' });
      const body = await res.json();
      if (mine !== seq) return;
      if (!res.ok) throw new Error(body.error || res.statusText);
      // MJML problems of the edited file: shown, with the mail as MJML could still render it.
      const errors = body.errors || [];
      $('error').textContent = errors.join('\\n');
      $('error').style.display = errors.length ? 'block' : 'none';
      $('subject').textContent = body.subject;
      $('info').textContent = body.type + ' · ' + body.lang + ' · ' + state.brand + ' · ' + body.category + (body.ttlMs ? ' · ttl ' + (body.ttlMs % 3600000 === 0 ? body.ttlMs / 3600000 + ' h' : Math.round(body.ttlMs / 60000) + ' min') : '');
      $('warnings').textContent = (body.warnings || []).join(' · ');
      $('frame').srcdoc = body.html;
      $('text').textContent = body.text;
      document.body.dataset.rendered = state.type + '/' + body.lang + '/' + state.brand;
    } catch (err) {
      if (mine !== seq) return;
      $('error').textContent = String(err.message || err);
      $('error').style.display = 'block';
    } finally {
      if (mine === seq) document.body.dataset.loading = 'false';
    }
  }
  document.querySelectorAll('.type').forEach((b) => b.addEventListener('click', () => { state.type = b.dataset.type; load(); }));
  document.querySelectorAll('.combo').forEach((a) => a.addEventListener('click', (e) => { e.preventDefault(); Object.assign(state, { type: a.dataset.type, lang: a.dataset.lang, brand: a.dataset.brand }); load(); }));
  $('lang').addEventListener('change', () => { state.lang = $('lang').value; load(); });
  $('brand').addEventListener('change', () => { state.brand = $('brand').value; load(); });
  document.querySelectorAll('#width button').forEach((b) => b.addEventListener('click', () => { state.width = b.dataset.width; paint(); }));
  document.querySelectorAll('#format button').forEach((b) => b.addEventListener('click', () => { state.format = b.dataset.format; paint(); }));
  const events = new EventSource('/events');
  events.addEventListener('reload', () => {
    $('toast').classList.add('show'); setTimeout(() => $('toast').classList.remove('show'), 1200);
    load();
  });
  load();
})();
`;
