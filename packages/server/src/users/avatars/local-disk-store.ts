import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomHex } from '../../crypto/random.js';
import { assertObjectKey, assertObjectPrefix, ObjectTooLargeError, type ObjectStore, type StagedObject } from './object-store.js';

const HEAD_BYTES = 16;

/**
 * Objects as files under LATCH_STORAGE_DIR. Uploads stream through a byte counter into a
 * `.part` file (never buffered whole) and are renamed into place on commit, so a reader never
 * sees half a file and an aborted or oversized upload leaves nothing behind.
 */
export class LocalDiskStore implements ObjectStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async stage(key: string, body: Readable, maxBytes: number): Promise<StagedObject> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const part = `${target}.${randomHex(8)}.part`;
    let size = 0;
    const headChunks: Buffer[] = [];
    let headLength = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new ObjectTooLargeError(maxBytes));
        if (headLength < HEAD_BYTES) {
          headChunks.push(chunk.subarray(0, HEAD_BYTES - headLength));
          headLength += Math.min(chunk.length, HEAD_BYTES - headLength);
        }
        done(null, chunk);
      },
    });
    // The request stream is piped, not handed to pipeline(): on a refusal it must stay intact so the
    // server can still answer 413 on its socket (pipeline would destroy it and reset the connection).
    const sink = pipeline(counter, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
    const abort = (error?: Error) => counter.destroy(error ?? new Error('upload aborted'));
    const onClose = () => {
      if (!body.readableEnded) abort();
    };
    body.once('error', abort);
    body.once('close', onClose);
    body.pipe(counter);
    try {
      await sink;
    } catch (error) {
      body.unpipe(counter);
      await rm(part, { force: true });
      throw error;
    } finally {
      body.off('error', abort);
      body.off('close', onClose);
    }
    return {
      size,
      head: Buffer.concat(headChunks),
      commit: () => rename(part, target),
      discard: () => rm(part, { force: true }),
    };
  }

  async read(key: string): Promise<{ stream: Readable; size: number } | undefined> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      return { stream: createReadStream(path), size: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertObjectPrefix(prefix);
    await rm(this.contained(prefix), { recursive: true, force: true });
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    return this.contained(key);
  }

  /** Defence in depth behind the key pattern: the resolved path must stay inside the root. */
  private contained(relative: string): string {
    const path = resolve(this.root, relative);
    if (!path.startsWith(this.root + sep)) throw new Error('object path escapes the storage root');
    return path;
  }
}
