import { describe, expect, it } from 'vitest';
import { createFdWriter, type WriteSyncFn } from '../../../src/output/fd-writer.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** A descriptor that takes at most `take[i]` bytes on the i-th write(2), or throws what `take[i]` is. */
function fakeFd(take: (number | NodeJS.ErrnoException)[]) {
  const written: string[] = [];
  let call = 0;
  const writeSync: WriteSyncFn = (_fd, buffer, offset, length) => {
    const t = take[call++] ?? Infinity;
    if (typeof t !== 'number') throw t;
    const n = Math.min(t, length);
    written.push(Buffer.from(buffer.subarray(offset, offset + n)).toString('utf8'));
    return n;
  };
  return { written, writeSync, calls: () => call };
}

function fakeStream() {
  const chunks: string[] = [];
  const listeners: string[] = [];
  let created = 0;
  const stream = {
    write(chunk: string | Uint8Array) {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
    on(event: string) {
      listeners.push(event);
      return stream;
    },
  };
  return {
    chunks,
    listeners,
    created: () => created,
    open: () => {
      created += 1;
      return stream as unknown as NodeJS.WritableStream;
    },
  };
}

/** A writer on a fake descriptor (see fakeFd), with the stream it may fall back to and the errors it reported. */
function writerOn(take: (number | NodeJS.ErrnoException)[]) {
  const fd = fakeFd(take);
  const stream = fakeStream();
  const errors: NodeJS.ErrnoException[] = [];
  const write = createFdWriter({ fd: 1, writeSync: fd.writeSync, stream: stream.open, onError: (e) => errors.push(e) });
  return { fd, stream, errors, write };
}

describe('createFdWriter', () => {
  it.each([
    ['one write takes it all', [Infinity], ['héllo wörld\n'], 'héllo wörld\n'],
    ['short writes are looped over', [3, 1, 2, Infinity], ['abcdefghij'], 'abcdefghij'],
    ['several texts, in order', [Infinity, 2, Infinity], ['one\n', 'two\n'], 'one\ntwo\n'],
  ])('%s, without creating the stream', (_name, take, texts, expected) => {
    const { fd, stream, errors, write } = writerOn(take);
    for (const t of texts) write(t);
    expect(fd.written.join('')).toBe(expected);
    expect(stream.created()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('EAGAIN (a non-blocking descriptor): the rest and every later text go through the stream, in order', () => {
    const { fd, stream, errors, write } = writerOn([4, errno('EAGAIN')]);
    write('abcdefgh');
    write('ij');
    expect(fd.written.join('') + stream.chunks.join('')).toBe('abcdefghij');
    expect(stream.chunks).toEqual(['efgh', 'ij']);
    expect(fd.calls()).toBe(2); // no write(2) after the stream took over
    expect(stream.created()).toBe(1);
    expect(stream.listeners).toEqual(['error']); // the stream's own errors reach the same handler
    expect(errors).toEqual([]);
  });

  it.each(['EPIPE', 'ENOSPC', 'EIO'])('%s goes to onError once per failed text, and no stream is created', (code) => {
    const { stream, errors, write } = writerOn([errno(code), errno(code)]);
    write('lost\n');
    expect(errors.map((e) => e.code)).toEqual([code]);
    write('lost too\n');
    expect(errors.map((e) => e.code)).toEqual([code, code]);
    expect(stream.created()).toBe(0);
  });

  it('an empty text writes nothing', () => {
    const { fd, stream, write } = writerOn([]);
    write('');
    expect(fd.calls()).toBe(0);
    expect(stream.created()).toBe(0);
  });
});
