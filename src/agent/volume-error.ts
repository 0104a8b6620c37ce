import { TugboatError } from '../errors.js';

/** A volume could not be prepared; the pod waits in ContainerCreating and retries. */
export class VolumeError extends TugboatError {
  constructor(message: string) {
    super('VOLUME', message);
  }
}
