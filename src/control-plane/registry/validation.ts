/** The registry's validation, kept importable at its old path; the rules live in `validation/`. */
export * from './validation/index.js';
