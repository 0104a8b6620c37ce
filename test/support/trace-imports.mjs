// Registers a resolve hook that prints every module URL the process loads to stderr, prefixed
// with "import:". Used to prove that `tugboat --help` does not load heavy dependencies.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        process._rawDebug('import:' + r.url);
        return r;
      }`),
);
