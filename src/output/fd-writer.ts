/**
 * stdout and stderr written with write(2) on their descriptors instead of through Node's streams.
 *
 * Why: the first touch of `process.stdout` loads node:stream and its helpers, ~1.5–3 ms of CPU in
 * a CPU profile of a `send` that prints two lines. Node writes to files, pipes and terminals
 * synchronously on Linux anyway, so a synchronous write(2) changes nothing the reader sees.
 *
 * What it keeps: every byte in order, and the errors the stream would have reported (EPIPE,
 * ENOSPC on /dev/full, EIO) go to the same handler, once per failed write. A descriptor that is
 * non-blocking (a pipe or terminal shared with a process that made it so) refuses a write it
 * cannot take at once (EAGAIN): the rest of that text and everything after it then go through
 * Node's stream, which waits for the reader.
 */

/** The shape of `fs.writeSync(fd, buffer, offset, length)`: returns the bytes written. */
export type WriteSyncFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

export interface FdWriterDeps {
  fd: number;
  writeSync: WriteSyncFn;
  /** Node's stream for the same descriptor (`process.stdout`), created only when needed. */
  stream: () => NodeJS.WritableStream;
  /** A failed write: the handler the stream's 'error' event would have called. */
  onError: (err: NodeJS.ErrnoException) => void;
}

/** A writer for `fd`: synchronous write(2) calls until the descriptor says EAGAIN, then the stream. */
export function createFdWriter(deps: FdWriterDeps): (text: string) => void {
  let stream: NodeJS.WritableStream | undefined;
  const viaStream = (chunk: string | Uint8Array): void => {
    if (!stream) {
      stream = deps.stream();
      stream.on('error', deps.onError);
    }
    stream.write(chunk);
  };
  return (text) => {
    if (stream) return viaStream(text);
    const buffer = Buffer.from(text, 'utf8');
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const n = deps.writeSync(deps.fd, buffer, offset, buffer.length - offset);
        // write(2) returns 0 only for an empty write; anything odd is left to the stream.
        if (n <= 0) return viaStream(buffer.subarray(offset));
        offset += n;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return viaStream(buffer.subarray(offset));
      deps.onError(err as NodeJS.ErrnoException);
    }
  };
}
