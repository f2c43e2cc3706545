// Augmented artifacts: the `header-augment` section, which no signature covers, is merged over the
// signed payload header the way the Mender client merges it (augment values win; meta-data merges
// deeply). Every field it touched is recorded, so policy can tell signed facts from unsigned ones.

import type { PayloadHeader } from './header.js';
import type { Payload } from './model.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

export function mergeAugment(payload: Payload, augment: PayloadHeader | undefined): Payload {
  if (!augment) return payload;
  const provides = Object.keys(augment.provides);
  const depends = Object.keys(augment.depends);
  const typeChanged = augment.type !== null && augment.type !== payload.type;
  return {
    ...payload,
    type: typeChanged ? augment.type : payload.type,
    artifact_provides: { ...payload.artifact_provides, ...augment.provides },
    artifact_depends: { ...payload.artifact_depends, ...augment.depends },
    meta_data: augment.metaData ? deepMerge(payload.meta_data ?? {}, augment.metaData) : payload.meta_data,
    augmented: {
      type: typeChanged,
      artifact_provides: provides,
      artifact_depends: depends,
      meta_data: augment.metaData !== null,
    },
  };
}
