import { createHash } from 'node:crypto';

/** Hex SHA-256 of some bytes: how the tests compare images and originals byte for byte. */
export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
