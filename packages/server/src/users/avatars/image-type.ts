/** The avatar types of auth-api.md U09, with the extension used in keys. */
export const AVATAR_TYPES = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

export type AvatarType = keyof typeof AVATAR_TYPES;

export function isAvatarType(value: string): value is AvatarType {
  return Object.hasOwn(AVATAR_TYPES, value);
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The image type found in the first bytes, or null. The declared Content-Type is never trusted
 * (ASVS 12.2.1 / OWASP File Upload: validate the content, not the header).
 */
export function sniffImageType(head: Buffer): AvatarType | null {
  if (startsWith(head, PNG)) return 'image/png';
  // JPEG: SOI marker followed by the start of another marker.
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  const ascii = head.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'image/gif';
  // WebP: RIFF container (bytes 0–3), size (4–7), form type WEBP (8–11).
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  return null;
}

function startsWith(buffer: Buffer, bytes: number[]): boolean {
  return buffer.length >= bytes.length && bytes.every((byte, i) => buffer[i] === byte);
}
