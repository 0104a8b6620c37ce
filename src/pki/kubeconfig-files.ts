import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Document } from 'yaml';
import { TugboatError } from '../errors.js';
import {
  currentContext,
  findEntry,
  KUBECONFIG_LISTS,
  type KubeconfigEntry,
  parseKubeconfigDocument,
  removeEntry,
  setCurrentContext,
  tugboatExtension,
  upsertEntry,
  withTugboatExtension,
} from './kubeconfig-edit.js';
import { DEFAULT_LOCK_TIMEOUT_MS, EXIT_KUBECONFIG, withKubeconfigLock } from './kubeconfig-lock.js';
import { writeKeyFile } from './pem.js';

/** Which kubeconfig files a write goes to, found the way kubectl finds them. */
export interface KubeconfigLocation {
  /** `--kubeconfig FILE`: only this file. @default $KUBECONFIG's list, else ~/.kube/config */
  readonly explicit?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  /** Relative paths start here. @default process.cwd() */
  readonly cwd?: string;
}

/** kubectl's loading precedence: the explicit file, else `$KUBECONFIG`'s entries (empty ones and repeats dropped), else ~/.kube/config. */
export function kubeconfigPrecedence(location: KubeconfigLocation): string[] {
  const at = (p: string) => resolve(location.cwd ?? process.cwd(), p);
  if (location.explicit) return [at(location.explicit)];
  const listed = (location.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (listed.length === 0) return [join(location.home, '.kube', 'config')];
  return [...new Set(listed.map(at))];
}

/**
 * The file kubectl writes new entries and a new current-context to (clientcmd's
 * GetDefaultFilename): the explicit file; with one `$KUBECONFIG` entry, that one; with several,
 * the first that exists, else the last; without `$KUBECONFIG`, ~/.kube/config.
 */
export function kubeconfigDefaultFile(location: KubeconfigLocation): string {
  const files = kubeconfigPrecedence(location);
  if (files.length === 1) return files[0] as string;
  return files.find((f) => existsSync(f)) ?? (files[files.length - 1] as string);
}

/** Options of {@link addToKubeconfig} and {@link removeFromKubeconfig}. */
export interface KubeconfigWriteOptions {
  /** Make the added context current (add only). @default true */
  readonly switchContext?: boolean;
  /** How long to wait for another writer's lock. @default 10 s */
  readonly lockTimeoutMs?: number;
}

/** What {@link addToKubeconfig} did. */
export interface KubeconfigAddResult {
  /** The file that holds the context now. */
  readonly file: string;
  readonly context: string;
  /** The context is current now (it was switched to, or already was). */
  readonly current: boolean;
}

/** What {@link removeFromKubeconfig} did. */
export interface KubeconfigRemoveResult {
  /** Files that were changed. */
  readonly files: readonly string[];
  readonly removed: boolean;
  /** When the removed context was current: the context made current again, or null when unset. */
  readonly restoredContext?: string | null;
}

interface Loaded {
  readonly file: string;
  readonly doc: Document;
  changed: boolean;
}

function load(files: readonly string[]): Loaded[] {
  return files.map((file) => {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    try {
      return { file, doc: parseKubeconfigDocument(text, `kubeconfig ${file}`), changed: false };
    } catch (err) {
      throw new TugboatError('KUBECONFIG_INVALID', (err as Error).message, { exitCode: EXIT_KUBECONFIG });
    }
  });
}

/** Writes changed files atomically (0600) through symlinks, so a linked kubeconfig stays linked. */
function save(loaded: readonly Loaded[]): string[] {
  const written: string[] = [];
  for (const l of loaded.filter((x) => x.changed)) {
    writeKeyFile(existsSync(l.file) ? realpathSync(l.file) : l.file, l.doc.toString());
    written.push(l.file);
  }
  return written;
}

/** The first file setting a non-empty current-context and that value (what kubectl reads). */
function effectiveCurrent(loaded: readonly Loaded[]): { holder?: Loaded; name?: string } {
  for (const l of loaded) {
    const name = currentContext(l.doc);
    if (name) return { holder: l, name };
  }
  return {};
}

/** The first file defining the named entry (kubectl's LocationOfOrigin). */
function origin(loaded: readonly Loaded[], list: 'clusters' | 'users' | 'contexts', name: string) {
  return loaded.find((l) => findEntry(l.doc, list, name));
}

/**
 * Adds the cluster, user and context of `addition` (one context, as renderKubeconfig writes) to
 * the user's kubeconfig with kubectl's rules: each entry replaces the one of the same name in the
 * file that defines it, a new one goes to the default file (see kubeconfigDefaultFile), every
 * other line (comments, unknown fields) is kept, and all files are locked as kubectl locks them.
 * Unless `switchContext: false`, the context becomes current (written to the default file, as
 * `kubectl config use-context` does) and the context it replaces is remembered in the context's
 * `tugboat` extension, so {@link removeFromKubeconfig} can restore it.
 */
export function addToKubeconfig(
  location: KubeconfigLocation,
  addition: string,
  options: KubeconfigWriteOptions = {},
): KubeconfigAddResult {
  const add = parseKubeconfigDocument(addition, 'the kubeconfig to add').toJSON() as Record<string, unknown>;
  const context = String(add['current-context'] ?? '');
  if (!context) throw new Error('the kubeconfig to add names no current-context');
  const files = kubeconfigPrecedence(location);
  const defaultFile = kubeconfigDefaultFile(location);
  return withKubeconfigLock(
    files,
    () => {
      const loaded = load(files);
      const fallback = loaded.find((l) => l.file === defaultFile) as Loaded;
      const current = effectiveCurrent(loaded);
      const switching = options.switchContext !== false;
      const existing = origin(loaded, 'contexts', context);
      const remembered = tugboatExtension(existing && findEntry(existing.doc, 'contexts', context));
      // Re-running create keeps what was current before the first run, not our own context.
      const previous =
        switching && current.name !== context
          ? current.name
          : (remembered?.['previous-context'] as string | undefined);
      for (const [list, field] of KUBECONFIG_LISTS) {
        for (const entry of (Array.isArray(add[list]) ? add[list] : []) as KubeconfigEntry[]) {
          const target = origin(loaded, list, entry.name) ?? fallback;
          const body = (entry[field] ?? {}) as Record<string, unknown>;
          const value =
            list === 'contexts'
              ? withTugboatExtension(body, previous ? { 'previous-context': previous } : {})
              : body;
          upsertEntry(target.doc, list, { name: entry.name, [field]: value });
          target.changed = true;
        }
      }
      if (switching && current.name !== context) {
        setCurrentContext(fallback.doc, context);
        fallback.changed = true;
      }
      save(loaded);
      return {
        file: (origin(loaded, 'contexts', context) ?? fallback).file,
        context,
        current: switching || current.name === context,
      };
    },
    options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  );
}

/** The context bodies of one file. */
function entryBodies(doc: Document): Record<string, unknown>[] {
  const contexts = (doc.toJSON() as { contexts?: unknown } | null)?.contexts;
  return Array.isArray(contexts) ? contexts.map((c) => (c?.context ?? {}) as Record<string, unknown>) : [];
}

/** A context tugboat wrote: it carries the extension, or (older files) names `<cluster>` and `<user>@<cluster>`. */
function isOurs(entry: Record<string, unknown> | undefined, name: string): boolean {
  if (!entry) return false;
  if (tugboatExtension(entry)) return true;
  const body = entry.context as { cluster?: unknown; user?: unknown } | undefined;
  return body?.cluster === name && typeof body.user === 'string' && body.user.endsWith(`@${name}`);
}

/**
 * Removes the context `name` that tugboat added, and the cluster and user it refers to (unless
 * another context still uses them), from every kubeconfig file — nothing else. When it was the
 * current context, the context that was current before tugboat switched is restored if it still
 * exists; otherwise current-context is unset where kubectl would unset it. A context of that name
 * that tugboat did not write is left alone.
 */
export function removeFromKubeconfig(
  location: KubeconfigLocation,
  name: string,
  options: KubeconfigWriteOptions = {},
): KubeconfigRemoveResult {
  const files = kubeconfigPrecedence(location).filter((f) => existsSync(f));
  if (files.length === 0) return { files: [], removed: false };
  return withKubeconfigLock(
    files,
    () => {
      const loaded = load(files);
      const holder = origin(loaded, 'contexts', name);
      const entry = holder && findEntry(holder.doc, 'contexts', name);
      if (!isOurs(entry, name)) return { files: [], removed: false };
      const body = (entry?.context ?? {}) as { cluster?: unknown; user?: unknown };
      const previous = tugboatExtension(entry)?.['previous-context'];
      for (const l of loaded) {
        if (isOurs(findEntry(l.doc, 'contexts', name), name) && removeEntry(l.doc, 'contexts', name))
          l.changed = true;
      }
      const stillUsed = (field: 'cluster' | 'user', value: unknown) =>
        loaded.some((l) => entryBodies(l.doc).some((c) => c?.[field] === value));
      for (const [list, field, value] of [
        ['clusters', 'cluster', body.cluster],
        ['users', 'user', body.user],
      ] as const) {
        if (typeof value !== 'string' || stillUsed(field, value)) continue;
        for (const l of loaded) if (removeEntry(l.doc, list, value)) l.changed = true;
      }
      let restoredContext: string | null | undefined;
      const current = effectiveCurrent(loaded);
      if (current.name === name && current.holder) {
        const back =
          typeof previous === 'string' && origin(loaded, 'contexts', previous) ? previous : undefined;
        setCurrentContext(current.holder.doc, back);
        current.holder.changed = true;
        restoredContext = back ?? null;
      }
      return {
        files: save(loaded),
        removed: true,
        ...(restoredContext !== undefined ? { restoredContext } : {}),
      };
    },
    options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  );
}
