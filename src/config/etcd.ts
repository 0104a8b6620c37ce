/**
 * The spec's `etcd` settings (used with `store: etcd`): where the masters' etcd binary comes from.
 * Kept here, free of the bootstrap code, so the spec, the stack's settings and the hosts share one
 * definition.
 */
export type EtcdSourceName = 'auto' | 'release' | 'package';

export const ETCD_SOURCE_NAMES: readonly EtcdSourceName[] = ['auto', 'release', 'package'];

/** The spec's `etcd`, resolved. */
export interface EtcdSettings {
  /** @default 'auto' */
  readonly source: EtcdSourceName;
  /** Base URL of a mirror of etcd's release downloads (`<mirror>/v<version>/<tarball>`). @default etcd's GitHub releases */
  readonly mirror?: string;
}

/**
 * Why `text` is not a usable mirror base URL, or undefined when it is: http(s) only, and no
 * credentials, query or fragment (the URL is shown in events and logs).
 */
export function etcdMirrorProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL like https://github.com/etcd-io/etcd/releases/download';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'only http and https mirrors are supported';
  if (url.username || url.password)
    return 'credentials in the URL would be logged: give the mirror without them';
  if (url.search || url.hash) return 'no query or fragment: the base under which v<version>/<tarball> lives';
  return undefined;
}
