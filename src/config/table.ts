/** The README's configuration table, generated from the key table (a test fails on drift). */
import { allKeys, type KeyDef } from './keys.js';

function formatDefault(def: KeyDef): string {
  const d = def.default;
  if (d === undefined) return '';
  if (def.type === 'duration' && typeof d === 'number') return `\`${humanDuration(d)}\``;
  return `\`${Array.isArray(d) ? d.join(',') : String(d)}\``;
}

function humanDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function configTableMarkdown(): string {
  const rows = allKeys().map((k) => {
    const type = k.type === 'enum' ? (k.values ?? []).join(' \\| ') : k.type;
    return `| \`${k.env}\` | \`${k.path}\` | ${type} | ${formatDefault(k)} | ${k.secret ? 'yes' : ''} | ${k.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| env | file key | type | default | secret | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
