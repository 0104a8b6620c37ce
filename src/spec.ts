/**
 * The light library entry point: cluster spec and CloudFormation template, nothing that talks to
 * AWS or hosts. `src/index.ts` re-exports the same API together with the lifecycle, control plane
 * and agent; commands that only read a spec (init, validate, template, schema) import this one so
 * they do not pay for loading the AWS SDK (over a second on a busy machine; see bench/template.md).
 */

export { BOOT_TEMPLATE_CONTEXT, renderBootScript, USER_DATA_LIMIT, userDataSize } from './boot/user-data.js';
export * from './config/index.js';
export * from './provision/template/index.js';
