/**
 * `queue status` on a Redis spool at scale. Redis keeps the size of every BullMQ set (LLEN,
 * ZCARD, ZCOUNT), so the totals cost nothing. What only a job's data tells (its type; whether a
 * parked or failed job is held, dead or corrupt) is read job by job in a set of up to
 * STATUS_READ_LIMIT jobs, exactly as before, and estimated from an even sample in a larger one,
 * which the output then marks. The oldest pending job is found exactly in any case, by a script
 * that compares the ids (ULIDs sort by creation time) inside Redis, a slice at a time.
 */

/** A BullMQ set of at most this many jobs is read job by job; a larger one is counted and sampled. */
export const STATUS_READ_LIMIT = 10_000;
/** Jobs read from each larger set for its estimates. */
export const STATUS_SAMPLE = 1_000;
/** Where status stops reading job by job, and how many jobs it samples beyond (tests lower them). */
export interface StatusLimits {
  read: number;
  sample: number;
}

/** Ids compared per call of {@link OLDEST_IN_RANGE}: each call holds Redis for a few ms only. */
export const OLDEST_SLICE = 20_000;

/** `k` ranks spread evenly over [from, to) (the middle of k equal strata), or every rank when fewer. */
export function sampleRanks(from: number, to: number, k: number): number[] {
  const size = to - from;
  if (size <= k) return Array.from({ length: Math.max(0, size) }, (_, i) => from + i);
  return Array.from({ length: k }, (_, i) => from + Math.floor(((i + 0.5) * size) / k));
}

/**
 * Counts seen in a sample, scaled to the `total` the sample was drawn from and rounded so that
 * they still add up to `total` (largest remainder).
 */
export function scaleCounts<K>(counts: ReadonlyMap<K, number>, total: number): Map<K, number> {
  const seen = [...counts.values()].reduce((a, b) => a + b, 0);
  const out = new Map<K, number>();
  if (seen === 0) return out;
  const shares = [...counts].map(([key, n]) => {
    const exact = (n * total) / seen;
    return { key, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - shares.reduce((a, s) => a + s.floor, 0);
  for (const s of [...shares].sort((a, b) => b.rest - a.rest)) {
    if (left <= 0) break;
    s.floor += 1;
    left -= 1;
  }
  for (const s of shares) out.set(s.key, s.floor);
  return out;
}

/**
 * The oldest job among ranks ARGV[2]..ARGV[3] of a BullMQ list or sorted set (ARGV[1] `l` or
 * `z`; KEYS[1] the set, KEYS[2] the job key prefix): the smallest id that is a ULID, and the id
 * and BullMQ timestamp of the oldest job whose id is not one (ids from other producers). Returns
 * {ulid, otherId, otherTimestamp}, empty strings for none.
 * The first loop is what a million ids cost, so it does the least per id: an id of another
 * length than a ULID's 26 is another producer's, and only the smallest id of 26 characters has
 * its alphabet checked; when that one is not a ULID, the slice is gone through again carefully.
 * Redis compares strings with its locale's collation: for the ULID alphabet (digits, then
 * capitals without I, L, O, U) that is byte order in the locales Redis runs under.
 */
export const OLDEST_IN_RANGE = `
local ids
if ARGV[1] == 'l' then ids = redis.call('LRANGE', KEYS[1], ARGV[2], ARGV[3])
else ids = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3]) end
local NOT_ULID = '[^0-9A-HJKMNP-TV-Z]'
local ulid, others = nil, {}
for i = 1, #ids do
  local id = ids[i]
  if #id ~= 26 then others[#others + 1] = id
  elseif ulid == nil or id < ulid then ulid = id end
end
if ulid ~= nil and string.find(ulid, NOT_ULID) then
  ulid = nil
  for i = 1, #ids do
    local id = ids[i]
    if #id == 26 then
      if string.find(id, NOT_ULID) then others[#others + 1] = id
      elseif ulid == nil or id < ulid then ulid = id end
    end
  end
end
local other, otherTs = nil, nil
for i = 1, #others do
  local ts = tonumber(redis.call('HGET', KEYS[2] .. others[i], 'timestamp'))
  if ts ~= nil and (otherTs == nil or ts < otherTs) then other, otherTs = others[i], ts end
end
return {ulid or '', other or '', otherTs and string.format('%d', otherTs) or ''}
`;
