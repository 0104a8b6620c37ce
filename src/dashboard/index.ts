/** The web dashboard: a small server in the CLI, serving a page bundled from ./page. */
export * from './start.js';
