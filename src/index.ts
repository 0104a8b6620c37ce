/** tugboat's library API. The CLI imports only this module. */
export * from './pki/index.js';
export * from './ssh/index.js';
