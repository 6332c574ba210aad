/**
 * A small MIME walker for `mailctl check`: only the tree of content types and the raw top-level
 * headers are needed, which mailparser's flattened result does not keep.
 */

export interface MimeNode {
  type: string;
  params: Map<string, string>;
  headers: [string, string][];
  children: MimeNode[];
}

function splitHead(text: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

/** Header fields, unfolded (RFC 5322 §2.2.3), in order, with their raw values. */
export function headerFields(head: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

function contentType(headers: [string, string][]): { type: string; params: Map<string, string> } {
  const value = headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'text/plain';
  const type = (value.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  const params = new Map<string, string>();
  for (const m of value.matchAll(/;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)/g)) {
    params.set(m[1]!.toLowerCase(), m[2]!.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1'));
  }
  return { type, params };
}

export function walkMime(text: string, depth = 0): MimeNode {
  const { head, body } = splitHead(text);
  const headers = headerFields(head);
  const { type, params } = contentType(headers);
  const node: MimeNode = { type, params, headers, children: [] };
  const boundary = params.get('boundary');
  if (type.startsWith('multipart/') && boundary && depth < 10) {
    const parts = body.split(
      new RegExp(`(?:^|\\r?\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*(?=\\r?\\n|$)`),
    );
    // parts[0] is the preamble, the last the epilogue after the closing delimiter.
    for (const part of parts.slice(1)) {
      const p = part.replace(/^\r?\n/, '');
      if (p.trim() === '') continue;
      node.children.push(walkMime(p, depth + 1));
    }
  }
  return node;
}

export function* nodes(n: MimeNode): Generator<MimeNode> {
  yield n;
  for (const c of n.children) yield* nodes(c);
}
