// A real headless Chromium (playwright-core, Debian's /usr/bin/chromium) on the `preview --serve`
// gallery of the built CLI: switch to zh-CN and ja-JP, check the subject and text, save a screenshot
// (test-results/, gitignored) and prove it is not blank. With MAILCTL_TEMPLATES_DIR: an edited
// locale file reloads the open page; broken MJML shows in the page and on stderr, the rest still serves.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../../helpers/cli.js';
import { makeOperatorDir } from '../../helpers/operator-dir.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-results');

let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let url = '';
let browser: Browser | undefined;
let cwd = '';

/** Spawns `preview --serve --port 0` of the built CLI and waits for the URL it prints. */
async function serveGallery(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; stderr: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'preview', '--serve', '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { child: proc, url: printed, exited: done, stderr: () => err };
}

beforeAll(async () => {
  cwd = tempDir('mailctl-gallery-');
  ({ child, url, exited } = await serveGallery(cwd));
  if (!existsSync(CHROMIUM)) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) child.kill('SIGTERM');
  // SIGTERM: the server closes and the command returns 0.
  expect(await exited).toBe(0);
  rmSync(cwd, { recursive: true, force: true });
});

describe.skipIf(!existsSync(CHROMIUM))('gallery in headless Chromium', () => {
  it('switches to zh-CN and shows the Chinese subject, HTML and text; the screenshot is not blank', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    // Nothing leaves 127.0.0.1: the default brand's remote logo is refused.
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' || route.request().url().startsWith('data:')
        ? route.continue()
        : route.abort(),
    );
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-rendered="reset-password/en-US/default"]');
    await expect.poll(() => page.textContent('#subject')).toBe('Set Your Dify Password');

    await page.selectOption('#lang', 'zh-CN');
    await page.waitForSelector('body[data-rendered="reset-password/zh-CN/default"]');
    expect(await page.textContent('#subject')).toBe('设置您的 Dify 密码');
    const frameText = await page.frameLocator('#frame').locator('body').innerText();
    expect(frameText).toContain('请使用以下验证码为您的 Dify 账户设置新密码');
    expect(frameText).toContain('492817');

    await page.click('#format button[data-format="text"]');
    expect(await page.isVisible('#text')).toBe(true);
    expect(await page.isVisible('#frame')).toBe(false);
    expect(await page.textContent('#text')).toContain('验证码 5分钟内有效');

    // Another type in the white-label brand, then back to HTML at mobile width for the screenshot.
    await page.click('button.type[data-type="invite-member"]');
    await page.selectOption('#brand', 'white-label');
    await page.waitForSelector('body[data-rendered="invite-member/zh-CN/white-label"]');
    expect(await page.textContent('#text')).toContain('Ana Lima 邀请您加入');
    await page.click('#format button[data-format="html"]');
    await page.click('#format button[data-format="text"]');
    await page.click('#format button[data-format="html"]');
    await page.click('#width button[data-width="mobile"]');
    expect(await page.getAttribute('#frame', 'class')).toContain('mobile');
    expect(await page.frameLocator('#frame').locator('body').innerText()).toContain('接受邀请');

    mkdirSync(SHOTS, { recursive: true });
    const path = join(SHOTS, 'gallery-zh-CN.png');
    const png = await page.screenshot({ path, fullPage: false });
    expect(statSync(path).size).toBeGreaterThan(20_000);

    // Decode the PNG in a blank page and measure: a blank screenshot has (almost) no variance.
    const blank = await context.newPage();
    const stats = await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, img.width, img.height);
      let sum = 0;
      let sq = 0;
      const colours = new Set<number>();
      const n = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const lum = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        sum += lum;
        sq += lum * lum;
        if (colours.size < 5000) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      }
      const mean = sum / n;
      return { width: img.width, height: img.height, variance: sq / n - mean * mean, colours: colours.size };
    }, png.toString('base64'));
    expect(stats.width).toBe(1280);
    expect(stats.variance).toBeGreaterThan(100);
    expect(stats.colours).toBeGreaterThan(50);
    await context.close();
  });

  it('switches to ja-JP (found by its folder) and draws the Japanese glyphs, not boxes', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-rendered="reset-password/en-US/default"]');
    await page.selectOption('#lang', 'ja-JP');
    await page.waitForSelector('body[data-rendered="reset-password/ja-JP/default"]');
    expect(await page.textContent('#subject')).toBe('Dify パスワードの設定');
    const frame = page.frameLocator('#frame').locator('body');
    expect(await frame.innerText()).toContain('新しいパスワードを設定するには');
    await page.click('#format button[data-format="text"]');
    // The Intl-based validity, in Japanese.
    expect(await page.textContent('#text')).toMatch(/有効時間は 5\s?分 です/);

    // Drawn, not boxes: in the mail's own font, two different kana give two different images,
    // and neither looks like the glyph of a code point no font has (the "tofu" box).
    await page.click('#format button[data-format="html"]');
    const glyphs = await page
      .frameLocator('#frame')
      .locator('body')
      .evaluate((body) => {
        const font = getComputedStyle(body.querySelector('div') ?? body).fontFamily;
        const draw = (ch: string): string => {
          const c = document.createElement('canvas');
          c.width = 48;
          c.height = 48;
          const g = c.getContext('2d')!;
          g.fillStyle = '#fff';
          g.fillRect(0, 0, 48, 48);
          g.fillStyle = '#000';
          g.font = `32px ${font}`;
          g.fillText(ch, 4, 36);
          const { data } = g.getImageData(0, 0, 48, 48);
          let ink = 0;
          let sig = '';
          for (let i = 0; i < data.length; i += 4) {
            const dark = data[i]! < 128 ? 1 : 0;
            ink += dark;
            sig += dark;
          }
          return `${ink}:${sig}`;
        };
        return { pa: draw('パ'), su: draw('ス'), ji: draw('設'), tofu: draw('\u{10FFFD}') };
      });
    const ink = (g: string): number => Number(g.split(':')[0]);
    expect(ink(glyphs.pa)).toBeGreaterThan(20);
    expect(ink(glyphs.su)).toBeGreaterThan(20);
    expect(new Set([glyphs.pa, glyphs.su, glyphs.ji, glyphs.tofu]).size).toBe(4);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'gallery-ja-JP.png'), fullPage: false });
    await context.close();
  });
});

describe.skipIf(!existsSync(CHROMIUM))('gallery over MAILCTL_TEMPLATES_DIR, live', () => {
  it('an edited file reloads the page; an MJML error shows in the page and on stderr; other types still serve', async () => {
    const home = tempDir('mailctl-gallery-dir-');
    const dir = makeOperatorDir(home);
    const served = await serveGallery(home, { MAILCTL_TEMPLATES_DIR: dir });
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    try {
      const page = await context.newPage();
      await page.goto(`${served.url}#type=weekly-digest&lang=ko-KR&brand=default&width=desktop&format=html`);
      await page.waitForSelector('body[data-rendered="weekly-digest/ko-KR/default"]');
      expect(await page.textContent('#subject')).toBe('Dify 주간 요약');

      // Edit the operator's locale file: the open page reloads itself with the new subject.
      const locale = join(dir, 'locales', 'ko-KR', 'weekly-digest.json');
      const strings = JSON.parse(readFileSync(locale, 'utf8')) as Record<string, string>;
      writeFileSync(locale, JSON.stringify({ ...strings, subject: '{{application_title}} 이번 주 소식' }));
      await expect.poll(() => page.textContent('#subject'), { timeout: 20_000 }).toBe('Dify 이번 주 소식');

      // Break the body's MJML: the page shows the error, stderr names the file, and the page still renders.
      const body = join(dir, 'weekly-digest.mjml');
      writeFileSync(body, `${readFileSync(body, 'utf8')}<mj-text colour="red">%%t:heading%%</mj-text>\n`);
      await expect.poll(() => page.isVisible('#error'), { timeout: 20_000 }).toBe(true);
      expect(await page.textContent('#error')).toMatch(/weekly-digest\.mjml: MJML <mj-text> line 4: .*colour/);
      await expect
        .poll(() => served.stderr(), { timeout: 20_000 })
        .toMatch(/preview: weekly-digest: .*weekly-digest\.mjml: MJML <mj-text> line 4:/);

      // Another type keeps being served, without an error.
      await page.click('button.type[data-type="reset-password"]');
      await page.waitForSelector('body[data-rendered="reset-password/ko-KR/default"]');
      expect(await page.textContent('#subject')).toBe('Dify 비밀번호 설정');
      expect(await page.isVisible('#error')).toBe(false);
    } finally {
      await context.close();
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);
});
