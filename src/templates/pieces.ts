/**
 * A compiled template variant, split once into what never changes and what a render fills in.
 *
 * A variant's HTML is ~11 KB with a few dozen `%%kind:name%%` markers and some
 * `%%if:name%%…%%endif%%` blocks; scanning all of it with two regular expressions on every
 * render was most of a render's cost in the drain. Now the conditional blocks are found once per
 * source, and for each combination of kept blocks that renders actually meet (usually one or
 * two per variant) the text is split once at its markers. Filling in is done for each render,
 * from that render's values alone: only the split is kept, never a value.
 *
 * Exactly what the two passes gave, by construction: the text a combination keeps is the first
 * pass's output, and its split is the second pass's matches (a property test compares them on
 * made-up sources, markers across block edges included, and on every compiled template).
 * The splits live in a WeakMap on the variant object: a template directory that is reloaded
 * makes new objects, and the old splits go with them.
 */

/** `%%kind:name%%`: t (translation), v, u, list, b, s, custom. */
export const MARKER = /%%([a-z]+):([A-Za-z0-9_.:-]+)%%/g;
/** `%%if:name%%…%%endif%%` (from an mj-raw): kept only when `name` has a value. */
export const CONDITIONAL = /%%if:([A-Za-z0-9_]+)%%([\s\S]*?)%%endif%%/g;

/** Static text, or a marker to fill in. */
export type Piece = string | { kind: string; name: string };

/** A source between and inside its conditional blocks. */
interface Split {
  /** Text before each block, and after the last: blocks.length + 1 entries. */
  between: string[];
  blocks: { when: string; body: string }[];
  /** The pieces of each combination of kept blocks met so far ('1' kept, '0' not, per block). */
  byKept: Map<string, Piece[]>;
}

/** Combinations remembered per source (2 blocks make 4); beyond, pieces are split each time. */
const MAX_COMBINATIONS = 64;

function splitOf(source: string): Split {
  const between: string[] = [];
  const blocks: Split['blocks'] = [];
  let last = 0;
  for (const m of source.matchAll(CONDITIONAL)) {
    between.push(source.slice(last, m.index));
    blocks.push({ when: m[1]!, body: m[2]! });
    last = m.index + m[0].length;
  }
  between.push(source.slice(last));
  return { between, blocks, byKept: new Map() };
}

/** The markers and the static text around them, in document order. */
export function piecesOf(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m.index > last) pieces.push(text.slice(last, m.index));
    pieces.push({ kind: m[1]!, name: m[2]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}

/** The pieces of `source` with the blocks whose variable has a value kept, the others dropped. */
function piecesFor(split: Split, values: Record<string, string>): Piece[] {
  let kept = '';
  for (const b of split.blocks) kept += values[b.when] ? '1' : '0';
  let pieces = split.byKept.get(kept);
  if (pieces) return pieces;
  let text = split.between[0]!;
  split.blocks.forEach((b, i) => (text += (kept[i] === '1' ? b.body : '') + split.between[i + 1]!));
  pieces = piecesOf(text);
  if (split.byKept.size < MAX_COMBINATIONS) split.byKept.set(kept, pieces);
  return pieces;
}

const splits = new WeakMap<object, Map<string, Split>>();

/**
 * Fills in `source` (a template of the variant `owner`): conditional blocks are kept when their
 * variable has a value, then each marker becomes what `fill(kind, name)` returns, called in
 * document order. Returned before the join: the static pieces (the same string objects in every
 * render of the variant) and what each marker became; render joins them (the MIME encoder reuses
 * the pieces, providers/mime-body.ts).
 */
export function fillTemplatePieces(
  owner: object,
  source: string,
  values: Record<string, string>,
  fill: (kind: string, name: string) => string,
): string[] {
  let bySource = splits.get(owner);
  if (!bySource) splits.set(owner, (bySource = new Map()));
  let split = bySource.get(source);
  if (!split) bySource.set(source, (split = splitOf(source)));
  const out: string[] = [];
  for (const piece of piecesFor(split, values))
    out.push(typeof piece === 'string' ? piece : fill(piece.kind, piece.name));
  return out;
}
