import type { ClusterSpec } from '../../config/types.js';
import { AL2023_SSM_PARAMETERS, isArmInstanceType, PARAMETERS, zoneParameter } from './names.js';
import type { CfnParameter } from './types.js';

/** The parameter holding the AMI for an instance type. */
export function imageParameterFor(spec: ClusterSpec, instanceType: string): string {
  if (spec.master.ami !== undefined) return PARAMETERS.ami;
  return isArmInstanceType(instanceType) ? PARAMETERS.amiArm64 : PARAMETERS.amiX86;
}

function instanceTypes(spec: ClusterSpec): string[] {
  return [spec.master.instanceType, ...spec.workerGroups.map((g) => g.instanceType)];
}

/**
 * The template's parameters: the key pair, the zones of new subnets, and the AMI. By default the AMI comes from the public
 * Amazon Linux 2023 SSM parameter (one per CPU architecture in use); master.ami replaces that with
 * a plain AMI id parameter used by every instance.
 */
export function buildParameters(spec: ClusterSpec): Record<string, CfnParameter> {
  const params: Record<string, CfnParameter> = {
    [PARAMETERS.keyName]: {
      Type: 'AWS::EC2::KeyPair::KeyName',
      Description: 'EC2 key pair installed on every instance (tugboat imports it before creating the stack)',
    },
  };
  if (spec.network.kind === 'new') {
    spec.network.subnets.forEach((subnet, i) => {
      params[zoneParameter(i)] = {
        Type: 'AWS::EC2::AvailabilityZone::Name',
        Description: `availability zone of subnet ${i + 1} (availabilityZones[${i}])`,
        Default: subnet.zone,
      };
    });
  }
  Object.assign(params, bundleParameterDefinitions());
  if (spec.master.ami !== undefined) {
    params[PARAMETERS.ami] = {
      Type: 'AWS::EC2::Image::Id',
      Description: 'AMI for every instance (master.ami)',
      Default: spec.master.ami,
    };
    return params;
  }
  const used = new Set(instanceTypes(spec).map((t) => imageParameterFor(spec, t)));
  if (used.has(PARAMETERS.amiX86)) {
    params[PARAMETERS.amiX86] = {
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Description: 'SSM parameter with the x86_64 AMI (default: latest Amazon Linux 2023)',
      Default: AL2023_SSM_PARAMETERS.x86,
    };
  }
  if (used.has(PARAMETERS.amiArm64)) {
    params[PARAMETERS.amiArm64] = {
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Description: 'SSM parameter with the arm64 AMI (default: latest Amazon Linux 2023)',
      Default: AL2023_SSM_PARAMETERS.arm64,
    };
  }
  return params;
}

/**
 * Where instances fetch the host bundle at boot. `create` and `update` fill these in after uploading
 * the bundle; empty values (the defaults) make a booting instance stop with that reason in its log.
 */
function bundleParameterDefinitions(): Record<string, CfnParameter> {
  return {
    [PARAMETERS.bundleBucket]: {
      Type: 'String',
      Description: 'S3 bucket with the host bundle (tugboat create/update upload it)',
      Default: '',
      AllowedPattern: '^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$',
    },
    [PARAMETERS.bundleSha256]: {
      Type: 'String',
      Description: 'SHA-256 of the host bundle: its key is <cluster>/bundles/<sha256>/<file>',
      Default: '',
      AllowedPattern: '^([0-9a-f]{64})?$',
    },
    [PARAMETERS.bundleFile]: {
      Type: 'String',
      Description: 'file name of the host bundle',
      Default: '',
      AllowedPattern: '^(tugboat-host-[0-9a-f]{16}[.]mjs)?$',
    },
    [PARAMETERS.nodeRegistry]: {
      Type: 'String',
      Description:
        'npm registry the pinned Node.js runtime is fetched from at boot (checked against its pinned SHA-512)',
      Default: 'https://registry.npmjs.org',
      AllowedPattern: '^https?://[A-Za-z0-9.:/_-]+$',
    },
  };
}

/** Values for {@link templateParameters}. */
export interface TemplateParameterOptions {
  /** Name of the EC2 key pair to install. */
  readonly keyName: string;
  /**
   * Override parameter values by name (e.g. another SSM path for `AmiX86`).
   * @default the template defaults
   */
  readonly overrides?: Readonly<Record<string, string>>;
}

/**
 * An explicit value for every template parameter, for CreateStack/UpdateStack. Callers must pass
 * all of them and never rely on UsePreviousValue (moto answers HTTP 500 to that on a defaulted one).
 */
export function templateParameters(
  spec: ClusterSpec,
  options: TemplateParameterOptions,
): { ParameterKey: string; ParameterValue: string }[] {
  return Object.entries(buildParameters(spec)).map(([key, param]) => {
    const value = options.overrides?.[key] ?? (key === PARAMETERS.keyName ? options.keyName : param.Default);
    return { ParameterKey: key, ParameterValue: value ?? '' };
  });
}
