import type { StatusCause } from '../../../kube/index.js';

/**
 * A request server-side apply refuses: `code` 400 (bad managedFields or options), 409 (conflicts,
 * with one `FieldManagerConflict` cause per field) or 422 (a configuration the schema cannot
 * hold). The API layer turns it into a Kubernetes Status.
 */
export class ApplyError extends Error {
  constructor(
    readonly code: 400 | 409 | 422,
    message: string,
    readonly causes: readonly StatusCause[] = [],
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}
