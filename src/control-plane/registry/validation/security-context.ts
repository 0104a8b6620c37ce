import type { StatusCause } from '../../../kube/index.js';
import {
  boolAt,
  duplicate,
  enumAt,
  intAt,
  invalid,
  listAt,
  recordAt,
  required,
  stringAt,
  stringListAt,
  unsupported,
} from './field.js';
import { checkLocalDescendingPath } from './paths.js';

/**
 * Pod and container security contexts as `validatePodSpecSecurityContext` and
 * `ValidateSecurityContext` check them: user and group IDs in range, seccomp and AppArmor profile
 * types, fsGroupChangePolicy, sysctl names. Capability names are strings only: kube-apiserver
 * does not check them against a list either (the runtime refuses an unknown one).
 */

const ID_RANGE = 'must be between 0 and 2147483647, inclusive';

/** `IsValidUserID` / `IsValidGroupID`: an optional ID in 0..2147483647. */
function checkId(value: unknown, field: string, causes: StatusCause[]): void {
  const n = intAt(value, field, causes);
  if (n !== undefined && (n < 0 || n > 2147483647)) causes.push(invalid(field, n, ID_RANGE));
}

const profileTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

/** `validateSeccompProfileField` and `ValidateAppArmorProfileField` (`what`: "seccomp" or "AppArmor"). */
function checkProfile(value: unknown, field: string, what: string, causes: StatusCause[]): void {
  const p = recordAt(value, field, causes);
  if (!p) return;
  const type = stringAt(p.type, `${field}.type`, causes);
  const setName = what === 'seccomp' ? 'seccompProfile' : 'appArmorProfile';
  if (!type) causes.push(required(`${field}.type`, `type is required when ${setName} is set`));
  else if (!profileTypes.includes(type)) causes.push(unsupported(`${field}.type`, type, profileTypes));
  const local = stringAt(p.localhostProfile, `${field}.localhostProfile`, causes);
  if (type === 'Localhost') {
    if (local === undefined)
      causes.push(required(`${field}.localhostProfile`, `must be set when ${what} type is Localhost`));
    else if (what === 'AppArmor' && !local.trim())
      causes.push(invalid(`${field}.localhostProfile`, local, 'must not be padded with whitespace'));
    else causes.push(...checkLocalDescendingPath(local, `${field}.localhostProfile`));
  } else if (local !== undefined && type) {
    causes.push(invalid(`${field}.localhostProfile`, p, `can only be set when ${what} type is Localhost`));
  }
}

const SYSCTL = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
const SYSCTL_MSG = `must have at most 253 characters and match regex ${SYSCTL.source}`;

/** `validateSysctls`: names present, well-formed and unique; values strings. */
function checkSysctls(value: unknown, field: string, causes: StatusCause[]): void {
  const names = new Set<string>();
  for (const [i, item] of listAt(value, field, causes)) {
    const s = recordAt(item, `${field}[${i}]`, causes);
    if (!s) continue;
    const name = stringAt(s.name, `${field}[${i}].name`, causes);
    stringAt(s.value, `${field}[${i}].value`, causes);
    if (!name) causes.push(required(`${field}[${i}].name`));
    else if (name.length > 253 || !SYSCTL.test(name))
      causes.push(invalid(`${field}[${i}].name`, name, SYSCTL_MSG));
    else if (names.has(name)) causes.push(duplicate(`${field}[${i}].name`, name));
    else names.add(name);
  }
}

/** `validatePodSpecSecurityContext` of `spec.securityContext`; `hostPID` from the pod spec. */
export function checkPodSecurityContext(
  value: unknown,
  field: string,
  hostPID: unknown,
  causes: StatusCause[],
): void {
  const sc = recordAt(value, field, causes);
  if (!sc) return;
  for (const key of ['fsGroup', 'runAsUser', 'runAsGroup']) checkId(sc[key], `${field}.${key}`, causes);
  for (const [i, g] of listAt(sc.supplementalGroups, `${field}.supplementalGroups`, causes))
    checkId(g, `${field}.supplementalGroups[${i}]`, causes);
  boolAt(sc.runAsNonRoot, `${field}.runAsNonRoot`, causes);
  boolAt(sc.shareProcessNamespace, `${field}.shareProcessNamespace`, causes);
  if (sc.shareProcessNamespace === true && hostPID === true)
    causes.push(
      invalid(
        `${field}.shareProcessNamespace`,
        true,
        'ShareProcessNamespace and HostPID cannot both be enabled',
      ),
    );
  checkSysctls(sc.sysctls, `${field}.sysctls`, causes);
  enumAt(sc.fsGroupChangePolicy, `${field}.fsGroupChangePolicy`, ['Always', 'OnRootMismatch'], causes);
  enumAt(sc.supplementalGroupsPolicy, `${field}.supplementalGroupsPolicy`, ['Merge', 'Strict'], causes);
  checkProfile(sc.seccompProfile, `${field}.seccompProfile`, 'seccomp', causes);
  checkProfile(sc.appArmorProfile, `${field}.appArmorProfile`, 'AppArmor', causes);
}

/** `ValidateSecurityContext` of a container's `securityContext`. */
export function checkContainerSecurityContext(value: unknown, field: string, causes: StatusCause[]): void {
  const sc = recordAt(value, field, causes);
  if (!sc) return;
  checkId(sc.runAsUser, `${field}.runAsUser`, causes);
  checkId(sc.runAsGroup, `${field}.runAsGroup`, causes);
  for (const key of ['privileged', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation'])
    boolAt(sc[key], `${field}.${key}`, causes);
  enumAt(sc.procMount, `${field}.procMount`, ['Default', 'Unmasked'], causes);
  const caps = recordAt(sc.capabilities, `${field}.capabilities`, causes);
  const add = caps ? stringListAt(caps.add, `${field}.capabilities.add`, causes) : [];
  if (caps) stringListAt(caps.drop, `${field}.capabilities.drop`, causes);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true)
      causes.push(
        invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'),
      );
    if (add.includes('CAP_SYS_ADMIN'))
      causes.push(
        invalid(
          field,
          sc,
          'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
        ),
      );
  }
  checkProfile(sc.seccompProfile, `${field}.seccompProfile`, 'seccomp', causes);
  checkProfile(sc.appArmorProfile, `${field}.appArmorProfile`, 'AppArmor', causes);
}
