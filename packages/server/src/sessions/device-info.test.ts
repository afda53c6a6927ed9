import { describe, expect, it } from 'vitest';
import { deviceInfo } from './device-info.js';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('deviceInfo', () => {
  it('names browser and OS, the same answer whether parsed or remembered', () => {
    for (let i = 0; i < 2; i++) {
      expect(deviceInfo(CHROME_LINUX)).toBe('Chrome on Linux');
      expect(deviceInfo(SAFARI_IOS)).toBe('Mobile Safari on iOS 17.5');
    }
  });

  it('falls back to the raw string, and to null without one', () => {
    expect(deviceInfo('curl/8.5.0')).toBe('curl/8.5.0');
    expect(deviceInfo(null)).toBeNull();
    expect(deviceInfo('')).toBeNull();
  });

  it('keeps answering right once more distinct agents than it remembers went by', () => {
    for (let i = 0; i < 1500; i++) expect(deviceInfo(`agent-${i}/1.0`)).toBe(`agent-${i}/1.0`);
    expect(deviceInfo(CHROME_LINUX)).toBe('Chrome on Linux');
    const long = `${CHROME_LINUX} ${'x'.repeat(600)}`;
    expect(deviceInfo(long)).toBe('Chrome on Linux');
  });
});
