/**
 * Which commands have a machine-readable form, decided as kubectl decides: a command whose result
 * is data prints it as JSON or YAML; one whose output is a document prints that document in the
 * format asked (`init`, `kubeconfig --print`, `schema`, `template`); one whose output is a stream
 * or a script has no such form and refuses `--output json|yaml` (`completion`, `ssh`: kubectl's
 * `completion` and `exec` take no `-o` either), as do the services (`agent`, `control-plane`:
 * kubelet and kube-apiserver have no `-o`), rather than print something that is not JSON.
 */
export function noOutputForm(command: string, what: string, like: string): string {
  return `tugboat ${command} ${what}; it has no --output json|yaml form (as ${like}): drop -o`;
}
