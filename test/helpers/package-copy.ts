/** A throw-away copy of the built package (bin, dist, templates, locales; node_modules linked), to break on purpose. */
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export function copyPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailctl-pkg-'));
  for (const part of ['bin', 'dist', 'templates', 'locales', 'package.json'])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
