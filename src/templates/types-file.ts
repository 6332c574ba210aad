/**
 * The operator's type declarations: `types.yaml` (or `.yml`, `.json`) in MAILCTL_TEMPLATES_DIR.
 * The only `yaml` importer; YAML 1.2 reads JSON too, and gives every node its line, so each
 * problem names the file and the line an operator has to fix.
 *
 *   types:
 *     - id: weekly-digest
 *       description: What changed in your workspace this week.
 *       category: notification        # code | notification | alert
 *       priority: 5                   # 0–99, lower is sooner
 *       ttl: 2d                       # optional: undelivered after this, the job goes to dead
 *       variables:
 *         - { name: userName, kind: text, required: true, description: who is addressed, sample: Ana }
 *
 * Pure: text in, type definitions and problems out.
 */
import { LineCounter, isMap, isSeq, parseDocument, visit, type Node, type YAMLMap } from 'yaml';
import { parseDuration } from '../config/parse.js';
import type { Category } from '../message/types.js';
import { readFileSync } from 'node:fs';
import { ConfigError, fileSystemError } from '../errors.js';
import { INJECTED_VARIABLES, MAIL_TYPE_DEFS, type MailTypeDef, type VariableDef } from './catalog.js';
import { TYPE_ID, type OperatorDir } from './layers.js';

export interface TypesFileProblem {
  file: string;
  line: number | undefined;
  message: string;
}

export interface ParsedTypes {
  types: MailTypeDef[];
  problems: TypesFileProblem[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CATEGORIES: readonly Category[] = ['code', 'notification', 'alert'];
const KINDS: readonly VariableDef['kind'][] = ['text', 'url', 'number', 'list'];
const TYPE_KEYS = ['id', 'description', 'category', 'priority', 'ttl', 'security', 'variables'];
const VARIABLE_KEYS = ['name', 'kind', 'required', 'description', 'sample'];

/**
 * Parses and validates a types file. `reserved` are the ids that exist already (the built-in
 * types): declaring one again is a problem, since its wording is changed by overriding its files.
 */
export function parseTypesFile(text: string, file: string, reserved: ReadonlySet<string>): ParsedTypes {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: TypesFileProblem[] = [];
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const problem = (node: Node | null | undefined, message: string): void => {
    problems.push({ file, line: lineOf(node), message });
  };
  for (const e of doc.errors) {
    problems.push({ file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0]! });
  }
  // No aliases: a types file is short, and an alias bomb must not expand when it is read.
  visit(doc, {
    Alias(_key, node) {
      problem(node, 'aliases (*name) are not allowed in a types file; write the value out');
    },
  });
  if (problems.length > 0) return { types: [], problems };

  const root = doc.contents;
  if (!isMap(root)) {
    problem(root, 'must be a mapping with a `types:` list');
    return { types: [], problems };
  }
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value);
    if (key !== 'types') problem(pair.key as Node, `unknown key "${key}" (only \`types:\` is allowed here)`);
  }
  const list = root.get('types', true) as Node | undefined;
  if (!isSeq(list)) {
    problem(list ?? root, '`types:` must be a list of type declarations');
    return { types: [], problems };
  }

  const types: MailTypeDef[] = [];
  const seen = new Set<string>();
  for (const item of list.items as Node[]) {
    if (!isMap(item)) {
      problem(item, 'each type must be a mapping (id, description, category, priority, variables)');
      continue;
    }
    const before = problems.length;
    const field = fieldsOf(item);
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value);
      if (!TYPE_KEYS.includes(key))
        problem(pair.key as Node, `unknown key "${key}" (allowed: ${TYPE_KEYS.join(', ')})`);
    }
    const id = field('id');
    if (typeof id.value !== 'string' || !TYPE_ID.test(id.value)) {
      problem(id.node ?? item, 'id must be kebab-case letters and digits, e.g. weekly-digest');
    } else if (reserved.has(id.value)) {
      problem(
        id.node,
        `type "${id.value}" is built in; change its wording by overriding ${id.value}.mjml or locales/<lang>/${id.value}.json instead of declaring it`,
      );
    } else if (seen.has(id.value)) {
      problem(id.node, `type "${id.value}" is declared twice`);
    }
    const description = field('description');
    if (typeof description.value !== 'string' || description.value.trim() === '')
      problem(description.node ?? item, 'description must be a sentence saying what the mail is');
    const category = field('category');
    if (!CATEGORIES.includes(category.value as Category))
      problem(category.node ?? item, `category must be one of ${CATEGORIES.join(', ')}`);
    const priority = field('priority');
    const prio = priority.value ?? 5;
    if (typeof prio !== 'number' || !Number.isInteger(prio) || prio < 0 || prio > 99)
      problem(priority.node, 'priority must be a whole number 0–99 (lower is sooner)');
    const ttl = field('ttl');
    let ttlMs: number | undefined;
    if (ttl.value !== undefined && ttl.value !== null) {
      const r = parseDuration(ttl.value);
      if (r.ok && typeof r.value === 'number' && r.value > 0) ttlMs = r.value;
      else problem(ttl.node, `ttl must be a duration such as 10m, 2h or 7d`);
    }
    const security = field('security');
    if (security.value !== undefined && typeof security.value !== 'boolean')
      problem(security.node, 'security must be true or false');

    const variables: VariableDef[] = [];
    const sample: Record<string, unknown> = {};
    const vars = item.get('variables', true) as Node | undefined;
    if (vars !== undefined && !isSeq(vars)) problem(vars, 'variables must be a list');
    const names = new Set<string>();
    for (const v of isSeq(vars) ? (vars.items as Node[]) : []) {
      if (!isMap(v)) {
        problem(v, 'each variable must be a mapping (name, kind, required, description, sample)');
        continue;
      }
      const get = fieldsOf(v);
      for (const pair of v.items) {
        const key = String((pair.key as { value?: unknown } | null)?.value);
        if (!VARIABLE_KEYS.includes(key))
          problem(pair.key as Node, `unknown key "${key}" (allowed: ${VARIABLE_KEYS.join(', ')})`);
      }
      const name = get('name');
      const n = typeof name.value === 'string' ? name.value : '';
      if (!VARIABLE_NAME.test(n)) {
        problem(name.node ?? v, 'variable name must be letters, digits and _ (as in {{name}})');
        continue;
      }
      if ((INJECTED_VARIABLES as readonly string[]).includes(n))
        problem(name.node, `variable "${n}" is added by mailctl to every mail; do not declare it`);
      if (names.has(n)) problem(name.node, `variable "${n}" is declared twice`);
      names.add(n);
      const kind = get('kind');
      const k = (kind.value ?? 'text') as VariableDef['kind'];
      if (!KINDS.includes(k)) problem(kind.node, `kind must be one of ${KINDS.join(', ')}`);
      const required = get('required');
      if (required.value !== undefined && typeof required.value !== 'boolean')
        problem(required.node, 'required must be true or false');
      const desc = get('description');
      if (desc.value !== undefined && typeof desc.value !== 'string') problem(desc.node, 'description must be text');
      const s = get('sample');
      const sampleProblem = sampleMismatch(k, s.value);
      if (s.value === undefined) {
        if (required.value !== false)
          problem(v, `variable "${n}" needs a sample, so that the type previews and checks with no input`);
      } else if (sampleProblem) problem(s.node, `sample of "${n}" ${sampleProblem}`);
      else sample[n] = s.value;
      variables.push({
        name: n,
        kind: k,
        required: required.value !== false,
        description: typeof desc.value === 'string' ? desc.value : '',
      });
    }

    if (typeof id.value === 'string') seen.add(id.value);
    if (problems.length > before) continue;
    types.push({
      id: id.value as string,
      description: (description.value as string).trim(),
      category: category.value as Category,
      priority: prio as number,
      ttlMs,
      ...(security.value === true ? { security: true } : {}),
      variables,
      sample,
    });
  }
  return { types, problems };
}

/** A mapping's fields: each value as plain data, with its node (for the line). */
function fieldsOf(map: YAMLMap): (name: string) => { node: Node | undefined; value: unknown } {
  const data = map.toJSON() as Record<string, unknown>;
  return (name) => ({ node: map.get(name, true) as Node | undefined, value: data[name] });
}

function sampleMismatch(kind: VariableDef['kind'], value: unknown): string | undefined {
  if (value === undefined) return undefined;
  switch (kind) {
    case 'text':
      return typeof value === 'string' || typeof value === 'number' ? undefined : 'must be text';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'url':
      return typeof value === 'string' && /^https?:\/\/\S+$/i.test(value) ? undefined : 'must be an http(s) URL';
    case 'list':
      return Array.isArray(value) && value.every((i) => typeof i === 'string' || typeof i === 'number')
        ? undefined
        : 'must be a list of strings';
  }
}

/** `file:line: message`, the shape editors and CI logs link. */
export function formatTypesProblem(p: TypesFileProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`;
}

/** Reads and validates the operator's types file; problems are returned (check) or thrown (78). */
export function readOperatorTypes(op: OperatorDir): { types: MailTypeDef[]; problems: TypesFileProblem[] } {
  if (!op.typesFile) return { types: [], problems: [] };
  let text: string;
  try {
    text = readFileSync(op.typesFile, 'utf8');
  } catch (err) {
    throw fileSystemError(err as NodeJS.ErrnoException, 'the types file', op.typesFile);
  }
  return parseTypesFile(text, op.typesFile, new Set(MAIL_TYPE_DEFS.map((d) => d.id)));
}

export function typesFileError(problems: TypesFileProblem[]): ConfigError {
  const [first] = problems;
  return new ConfigError(
    `${formatTypesProblem(first!)}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    { hint: 'fix the types file; `mailctl templates check` lists every problem' },
    'config.templates',
  );
}
