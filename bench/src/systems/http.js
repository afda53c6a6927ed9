// Set-up requests (seeding users, re-signing a client in) go through fetch, outside any measurement.
import { USER_AGENT } from '../load.js';

export async function postJson(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${new URL(url).pathname} → ${response.status}: ${text.slice(0, 300)}`);
  return { json: JSON.parse(text), headers: response.headers };
}

/** Runs `task` over `items` with at most `limit` in flight (seeding at real argon2 cost takes a while). */
export async function mapLimited(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
