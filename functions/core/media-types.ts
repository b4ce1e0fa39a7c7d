/** The media type of an original, from its key's extension, as it is stored and served. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
};

export function contentTypeOfKey(key: string): string {
  return BY_EXTENSION[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** Every media type an original may have (the values above, once each). */
export function originalMediaTypes(): string[] {
  return [...new Set(Object.values(BY_EXTENSION))];
}
