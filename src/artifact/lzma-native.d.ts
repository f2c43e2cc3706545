// The small part of lzma-native's untyped API that usb-updater uses.
declare module 'lzma-native' {
  import type { Transform } from 'node:stream';
  export function createStream(coder: 'streamDecoder', options: { memlimit?: number; flags?: number }): Transform;
}
