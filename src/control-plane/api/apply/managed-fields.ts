import { isRecord } from '../../registry/validation.js';
import { decodeFieldsV1, encodeFieldsV1, FieldSet } from './field-set.js';

/** One `metadata.managedFields` entry, its field set decoded. */
export interface ManagedEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly time?: string;
  readonly subresource?: string;
  readonly set: FieldSet;
}

/** Upstream keeps at most this many Update entries; older ones fold into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;

/** Entries of one manager, operation and subresource are one entry (Update ones per apiVersion too). */
export function sameManager(a: ManagedEntry, b: Omit<ManagedEntry, 'set' | 'time'>): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    (a.subresource ?? '') === (b.subresource ?? '') &&
    (a.operation === 'Apply' || a.apiVersion === b.apiVersion)
  );
}

/** Reads `metadata.managedFields`; throws an Error naming the bad entry. */
export function decodeManagedFields(list: unknown): ManagedEntry[] {
  if (!Array.isArray(list)) throw new Error('managedFields must be a list');
  return list.map((entry, i) => {
    const at = `managedFields[${i}]`;
    if (!isRecord(entry)) throw new Error(`${at} must be an object`);
    const { manager, operation, apiVersion, time, subresource, fieldsType, fieldsV1 } = entry;
    if (typeof manager !== 'string') throw new Error(`${at}.manager must be a string`);
    if (operation !== 'Apply' && operation !== 'Update')
      throw new Error(`${at}.operation must be Apply or Update, not ${JSON.stringify(operation)}`);
    if (typeof apiVersion !== 'string') throw new Error(`${at}.apiVersion must be a string`);
    if (fieldsType !== 'FieldsV1')
      throw new Error(`${at}.fieldsType must be FieldsV1, not ${JSON.stringify(fieldsType)}`);
    if (time !== undefined && time !== null && typeof time !== 'string')
      throw new Error(`${at}.time must be a timestamp`);
    if (subresource !== undefined && typeof subresource !== 'string')
      throw new Error(`${at}.subresource must be a string`);
    let set: FieldSet;
    try {
      set = decodeFieldsV1(fieldsV1 ?? {});
    } catch (err) {
      throw new Error(`${at}: ${(err as Error).message}`);
    }
    return {
      manager,
      operation,
      apiVersion,
      ...(typeof time === 'string' ? { time } : {}),
      ...(subresource ? { subresource } : {}),
      set,
    };
  });
}

/** The entries as stored: Apply entries first, then Update entries oldest first, as upstream sorts. */
export function encodeManagedFields(entries: readonly ManagedEntry[]): Record<string, unknown>[] {
  const sorted = [...entries]
    .filter((e) => !e.set.isEmpty())
    .sort((a, b) => {
      if (a.operation !== b.operation) return a.operation === 'Apply' ? -1 : 1;
      if ((a.time ?? '') !== (b.time ?? '')) return (a.time ?? '') < (b.time ?? '') ? -1 : 1;
      return a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : 0;
    });
  return sorted.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFieldsV1(e.set),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

/** Whether a client asked to clear managedFields (`[]` or `[{}]`, as upstream's isResetManagedFields). */
function isReset(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  return list.length === 0 || (list.length === 1 && isRecord(list[0]) && Object.keys(list[0]).length === 0);
}

/**
 * The entries a write starts from (upstream's decodeLiveOrNew): an explicit reset clears them; valid,
 * non-empty ones sent by the client replace the stored ones; anything else (absent, invalid) keeps
 * the stored entries, so clients that do not know managedFields cannot drop them by accident.
 * Status and scale writes always keep the stored ones.
 */
export function startingEntries(
  sent: unknown,
  stored: unknown,
  subresource: string | undefined,
): ManagedEntry[] {
  const decodeOrEmpty = (list: unknown) => {
    try {
      return list === undefined ? [] : decodeManagedFields(list);
    } catch {
      return [];
    }
  };
  if (subresource) return decodeOrEmpty(stored);
  if (isReset(sent)) return [];
  if (sent !== undefined) {
    try {
      const decoded = decodeManagedFields(sent);
      if (decoded.length) return decoded;
    } catch {
      // Invalid entries from the client are ignored, as upstream does.
    }
  }
  return decodeOrEmpty(stored);
}

/** Folds the oldest Update entries beyond {@link MAX_UPDATE_MANAGERS} into one `ancient-changes` entry. */
export function capUpdateEntries(entries: ManagedEntry[]): ManagedEntry[] {
  const updates = entries
    .filter((e) => e.operation === 'Update')
    .sort((a, b) => ((a.time ?? '') < (b.time ?? '') ? -1 : 1));
  if (updates.length <= MAX_UPDATE_MANAGERS) return entries;
  const fold = updates.slice(0, updates.length - MAX_UPDATE_MANAGERS + 1);
  const set = new FieldSet();
  for (const e of fold) for (const p of e.set.paths()) set.insert(p);
  const last = fold[fold.length - 1]!;
  const ancient: ManagedEntry = {
    manager: 'ancient-changes',
    operation: 'Update',
    apiVersion: last.apiVersion,
    ...(last.time ? { time: last.time } : {}),
    set,
  };
  return [...entries.filter((e) => !fold.includes(e)), ancient];
}
