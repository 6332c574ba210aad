/**
 * `mailctl templates check`: everything CI needs to trust the templates.
 * - every type compiles in every layout variant with strict MJML validation;
 * - every locale has exactly the keys the templates use (none missing, none unused), as strings,
 *   and uses only variables the type declares (or the injected ones);
 * - every type × language × brand renders with its sample variables, with no unrendered marker
 *   (`%%…%%`, `{{`, `}}`, `{name}`) in subject, HTML or text;
 * - white-label mails name no default product anywhere.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { INJECTED_VARIABLES } from './catalog.js';
import { LiveStore, type LiveDirs } from './live.js';
import { DEFAULT_LANGUAGE } from './lang.js';
import { renderWith, type Branding } from './render.js';
import { readLocaleFile, VARIANT_KEYS } from './store.js';
import { formatTypesProblem } from './types-file.js';

export interface TemplateProblem {
  type?: string | undefined;
  lang?: string | undefined;
  brand?: string | undefined;
  file?: string | undefined;
  message: string;
}

export interface CheckResult {
  ok: boolean;
  types: number;
  languages: string[];
  brands: string[];
  /** type × language × brand combinations rendered */
  rendered: number;
  problems: TemplateProblem[];
}

/** The brand set-ups every type is rendered in. */
export const CHECK_BRANDS: readonly { name: string; branding: Branding }[] = [
  { name: 'default', branding: { whiteLabel: false } },
  {
    name: 'white-label',
    branding: {
      whiteLabel: true,
      applicationTitle: 'Acme Cloud',
      logoUrl: 'https://cdn.example.com/acme/logo.png',
      supportEmail: 'support@acme.example',
    },
  },
  { name: 'white-label-minimal', branding: { whiteLabel: true, applicationTitle: 'Acme Cloud' } },
];

/** Words a white-label mail must never contain: the default product, its domain and logo host. */
export const DEFAULT_PRODUCT_PATTERN = /dify/i;

/** Markers that must never survive rendering. */
export function unrenderedMarkers(s: string): string[] {
  return [...new Set(s.match(/%%[^%\s]*%%|\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}/g) ?? [])];
}

/** HTML without <style> blocks and conditional comments, whose CSS braces are not markers. */
export function visibleHtml(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, '');
}

function flatten(obj: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [kk, vv] of flatten(v as Record<string, unknown>, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

export async function checkTemplates(dirs: LiveDirs): Promise<CheckResult> {
  const problems: TemplateProblem[] = [];
  const store = new LiveStore(dirs, true);
  const layers = store.layers;
  const op = layers.operator;
  const types = store.mailTypes();
  const languages = [...store.languages()];
  if (!languages.includes(DEFAULT_LANGUAGE))
    problems.push({
      file: dirs.localesDir,
      message: `no ${DEFAULT_LANGUAGE} folder: it is the fallback language and must exist`,
    });

  // 0. The operator's directory: the types file, and files that belong to nothing.
  for (const p of store.typeProblems) problems.push({ file: p.file, message: formatTypesProblem(p) });
  if (op) {
    for (const f of op.others)
      problems.push({
        file: join(op.dir, f),
        message: `${join(op.dir, f)} is not part of a template directory (layout.mjml, <type>.mjml, types.yaml, locales/<lang>/<type>.json)`,
      });
    for (const b of op.bodies) {
      if (!store.mailType(b))
        problems.push({
          type: b,
          file: join(op.dir, `${b}.mjml`),
          message: `${join(op.dir, `${b}.mjml`)} is the body of no type: "${b}" is neither built in nor declared in a types file`,
        });
    }
  }

  // 1. Compile everything, strictly; collect which locale keys the templates use.
  const used = new Map<string, Set<string>>([['common', new Set()]]);
  const compiledOk = new Set<string>();
  for (const def of types) {
    // The subject, and the strings optional variables fall back to, are used by the renderer itself.
    used.set(
      def.id,
      new Set([...(def.id === 'custom' ? [] : ['subject']), ...def.variables.flatMap((v) => v.fallback ?? [])]),
    );
    if (layers.types.origin(def.id) !== 'built-in' && !op?.bodies.includes(def.id)) {
      problems.push({
        type: def.id,
        file: layers.types.origin(def.id),
        message: `type "${def.id}" is declared in ${layers.types.origin(def.id)} but ${join(op!.dir, `${def.id}.mjml`)} does not exist`,
      });
      continue;
    }
    let compileProblems;
    try {
      compileProblems = await store.prepare(def.id);
    } catch (err) {
      problems.push({
        type: def.id,
        file: layers.bodyFile(def.id),
        message: `does not compile: ${(err as Error).message}`,
      });
      continue;
    }
    for (const p of compileProblems)
      problems.push({ type: def.id, file: p.file, message: `MJML (${p.variant}): ${p.message}` });
    if (compileProblems.length === 0) compiledOk.add(def.id);
    const template = store.template(def.id);
    for (const key of VARIANT_KEYS) {
      const v = template.variants[key];
      for (const m of `${v.html}\n${v.text}`.matchAll(/%%t:([A-Za-z0-9_.:-]+)%%/g)) {
        const name = m[1]!;
        const colon = name.indexOf(':');
        const ns = colon > 0 ? name.slice(0, colon) : def.id;
        const key2 = colon > 0 ? name.slice(colon + 1) : name;
        if (!used.has(ns)) {
          problems.push({ type: def.id, message: `uses locale namespace "${ns}", which is neither common nor a type` });
          continue;
        }
        used.get(ns)!.add(key2);
      }
    }
  }

  // 2. Locale keys: none missing, none unused, strings only, declared variables only. Each
  //    problem names the file to edit: the operator's when the string (or language) is theirs.
  const namespaces = [...used.keys()];
  for (const lang of languages) {
    const folders = [
      join(dirs.localesDir, lang),
      ...(op?.languages.includes(lang) ? [join(op.dir, 'locales', lang)] : []),
    ];
    for (const folder of folders) {
      let files: string[] = [];
      try {
        files = readdirSync(folder).filter((f) => f.endsWith('.json'));
      } catch {
        // a language of the other layer only
      }
      for (const f of files) {
        const ns = f.slice(0, -5);
        if (!used.has(ns))
          problems.push({
            lang,
            file: join(folder, f),
            message: `locale file ${lang}/${f} belongs to no mail type (unused)`,
          });
      }
    }
    for (const ns of namespaces) {
      const files = layers.localeFiles(lang, ns);
      // The file an operator edits for this language: theirs when the language or the file is theirs.
      const own =
        files.operator !== undefined &&
        (op?.languages.includes(lang) ?? false) &&
        (existsSync(files.operator) || !existsSync(files.builtin));
      const file = own ? files.operator! : files.builtin;
      let layer;
      try {
        layer = {
          builtin: readLocaleFile(dirs.localesDir, lang, ns),
          operator: own && op ? readLocaleFile(join(op.dir, 'locales'), lang, ns) : undefined,
        };
      } catch (err) {
        problems.push({ lang, file, message: `${lang}/${ns}.json cannot be read: ${(err as Error).message}` });
        continue;
      }
      const type = ns === 'common' ? undefined : ns;
      if (!layer.builtin && !layer.operator) {
        if (ns !== 'custom') problems.push({ lang, type, file, message: `${lang}/${ns}.json is missing` });
        continue;
      }
      const data = layers.resources(lang, [ns])[ns] ?? {};
      const keys = flatten(data);
      const fromOperator = layer.operator ? flatten(layer.operator) : new Map<string, unknown>();
      const fileOf = (k: string): string => (fromOperator.has(k) ? files.operator! : files.builtin);
      const wanted = used.get(ns)!;
      for (const k of wanted)
        if (!keys.has(k)) problems.push({ lang, type, file, message: `missing locale key ${lang}/${ns}:${k}` });
      const def = store.mailType(ns);
      const declared = new Set<string>([...INJECTED_VARIABLES, ...(def?.variables.map((v) => v.name) ?? [])]);
      for (const [k, v] of keys) {
        const where = { lang, type, file: fileOf(k) };
        if (!wanted.has(k))
          problems.push({ ...where, message: `unused locale key ${lang}/${ns}:${k} (no template refers to it)` });
        if (typeof v !== 'string') {
          problems.push({ ...where, message: `locale key ${lang}/${ns}:${k} must be a string` });
          continue;
        }
        for (const m of v.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)) {
          const name = m[1]!;
          // common strings may only use injected variables; type strings their own too.
          if (!declared.has(name))
            problems.push({
              ...where,
              message: `locale key ${lang}/${ns}:${k} uses {{${name}}}, which ${type ?? 'the layout'} does not declare`,
            });
        }
        const python = v.replace(/\{\{[^}]*\}\}/g, '').match(/\{[A-Za-z_][A-Za-z0-9_]*\}/);
        if (python)
          problems.push({
            ...where,
            message: `locale key ${lang}/${ns}:${k} has ${python[0]}; write variables as {{name}}`,
          });
      }
    }
  }

  // 3. Render every type × language × brand with samples.
  let rendered = 0;
  for (const def of types) {
    if (!compiledOk.has(def.id) && !hasTemplate(store, def.id)) continue;
    for (const lang of languages) {
      for (const brand of CHECK_BRANDS) {
        const where = { type: def.id, lang, brand: brand.name };
        try {
          const r = renderWith(store, { type: def.id, lang, vars: {}, branding: brand.branding, useSamples: true });
          rendered += 1;
          if (r.lang !== lang) problems.push({ ...where, message: `rendered as ${r.lang} instead of ${lang}` });
          for (const [part, content] of [
            ['subject', r.subject],
            ['html', visibleHtml(r.html)],
            ['text', r.text],
          ] as const) {
            const left = unrenderedMarkers(content);
            if (left.length > 0)
              problems.push({
                ...where,
                message: `unrendered marker${left.length > 1 ? 's' : ''} in ${part}: ${left.join(' ')}`,
              });
            if (brand.branding.whiteLabel) {
              const hit = content.match(DEFAULT_PRODUCT_PATTERN);
              if (hit)
                problems.push({ ...where, message: `white-label ${part} names the default product ("${hit[0]}")` });
            }
          }
          if (r.subject.trim() === '') problems.push({ ...where, message: 'empty subject' });
        } catch (err) {
          problems.push({ ...where, message: `does not render: ${(err as Error).message}` });
        }
      }
    }
  }

  return {
    ok: problems.length === 0,
    types: types.length,
    languages,
    brands: CHECK_BRANDS.map((b) => b.name),
    rendered,
    problems,
  };
}

function hasTemplate(store: LiveStore, type: string): boolean {
  try {
    store.template(type);
    return true;
  } catch {
    return false;
  }
}
