/** The web dashboard: a small server in the CLI, serving a page bundled from ./page. */

export type { CloudActions, CloudSource } from './cloud-relay.js';
export * from './start.js';
