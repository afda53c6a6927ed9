import { generateKeyPairSync, verify } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { SignerThread, signHere } from './signer-thread.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const valid = (input: string, signature: string, key = publicKey) =>
  verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));

let signer: SignerThread | undefined;
afterEach(async () => {
  await signer?.close();
  signer = undefined;
});

describe('SignerThread', () => {
  it('signs on the event loop while the loop is idle, on its thread once the loop is busy', async () => {
    signer = new SignerThread(undefined, { offloadAbove: 0.5 });
    const thread = (signer as unknown as { worker: Worker }).worker;
    let sentToThread = 0;
    const post = thread.postMessage.bind(thread);
    thread.postMessage = (value: unknown) => {
      sentToThread++;
      post(value);
    };
    expect(valid('idle', await signer.sign(privateKey, 'idle'))).toBe(true);
    expect(sentToThread).toBe(0);
    // Keep the loop busy past a sample (a synchronous spin, as a refresh storm keeps it).
    const until = Date.now() + 450;
    while (Date.now() < until) {
      await new Promise((resolve) => setImmediate(resolve));
      const spin = Date.now() + 20;
      while (Date.now() < spin);
    }
    expect(valid('busy', await signer.sign(privateKey, 'busy'))).toBe(true);
    expect(sentToThread).toBe(1);
  });

  it('answers every request of a batch with its own signature, under the key it came with', async () => {
    signer = new SignerThread(undefined, { offloadAbove: 0 });
    const inputs = Array.from({ length: 60 }, (_, i) => `header.payload-${i}`);
    const signatures = await Promise.all(inputs.map((input, i) => signer!.sign(i % 3 === 0 ? other.privateKey : privateKey, input)));
    signatures.forEach((signature, i) => {
      expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/); // 64 bytes: r || s
      expect(valid(inputs[i], signature, i % 3 === 0 ? other.publicKey : publicKey)).toBe(true);
      expect(valid(inputs[(i + 1) % inputs.length], signature, i % 3 === 0 ? other.publicKey : publicKey)).toBe(false);
    });
  });

  it('signs on the event loop when its thread dies, including what was in flight', async () => {
    const failures: string[] = [];
    signer = new SignerThread((message) => failures.push(message), { offloadAbove: 0 });
    const inFlight = signer.sign(privateKey, 'in-flight');
    await (signer as unknown as { worker: Worker }).worker.terminate();
    expect(valid('in-flight', await inFlight)).toBe(true);
    expect(failures).toHaveLength(1);
    expect(valid('after', await signer.sign(privateKey, 'after'))).toBe(true);
  });

  it('answers what is pending when closed, and signs here afterwards', async () => {
    signer = new SignerThread(undefined, { offloadAbove: 0 });
    const pending = signer.sign(privateKey, 'pending');
    await signer.close();
    expect(valid('pending', await pending)).toBe(true);
    expect(valid('later', await signer.sign(privateKey, 'later'))).toBe(true);
    expect(valid('here', signHere(privateKey, 'here'))).toBe(true);
  });
});
