/**
 * The payload codec for CLI commands: `SAGAFLOW_CODEC=<module>` (or a command's `--codec
 * <module>`) names a module that exports the codec the engines use, so that the CLI reads (and,
 * for `resume` and `worker`, writes) the store's encoded payloads with the same keys. The module
 * exports `codec` (a PayloadCodec), or a default export that is one or a function returning one.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PayloadCodec, withPayloadCodec } from '../runtime/codec/payloadCodec.js';
import type { EventStore } from '../stores/eventStore.js';

/** The environment variable naming the codec module. */
export const CODEC_ENV = 'SAGAFLOW_CODEC';

function isCodec(value: unknown): value is PayloadCodec {
  const v = value as Partial<PayloadCodec> | null;
  return typeof v === 'object' && v !== null && typeof v.encode === 'function' && typeof v.decode === 'function';
}

/**
 * The codec `specifier` exports (a path, relative to the working directory, or a package name);
 * undefined without a specifier. Throws when the module exports none.
 */
export async function loadCodec(specifier: string | undefined = process.env[CODEC_ENV]): Promise<PayloadCodec | undefined> {
  if (!specifier) return undefined;
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  const module = (await import(isPath ? pathToFileURL(resolve(specifier)).href : specifier)) as Record<string, unknown>;
  for (const candidate of [module['codec'], module['default']]) {
    if (isCodec(candidate)) return candidate;
    if (typeof candidate === 'function') {
      const made = await (candidate as () => unknown)();
      if (isCodec(made)) return made;
    }
  }
  throw new Error(
    `${specifier} exports no payload codec: export it as \`export const codec = createAesGcmCodec({ ... })\`, or as a default export (the codec, or a function returning it).`,
  );
}

/** `store` seen through the configured codec (`specifier`, else `SAGAFLOW_CODEC`); the store itself when none is configured. */
export async function withConfiguredCodec(store: EventStore, specifier?: string): Promise<EventStore> {
  const codec = await loadCodec(specifier);
  return codec ? withPayloadCodec(store, codec) : store;
}
