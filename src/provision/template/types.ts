/** Plain CloudFormation template shapes; builders return these and never touch AWS. */

/** A resource in the `Resources` section. */
export interface CfnResource {
  readonly Type: string;
  readonly DependsOn?: string | readonly string[];
  readonly Properties: Readonly<Record<string, unknown>>;
}

/** A template parameter. */
export interface CfnParameter {
  readonly Type: string;
  readonly Description: string;
  readonly Default?: string;
  /** A regular expression the value must match (checked by CloudFormation before any change). */
  readonly AllowedPattern?: string;
}

/** A template output. */
export interface CfnOutput {
  readonly Description: string;
  readonly Value: unknown;
}

/** A whole template, as a plain object ready for `JSON.stringify`. */
export interface CloudFormationTemplate {
  readonly AWSTemplateFormatVersion: '2010-09-09';
  readonly Description: string;
  readonly Parameters: Readonly<Record<string, CfnParameter>>;
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Outputs: Readonly<Record<string, CfnOutput>>;
}

/** Values looked up outside the pure builders and passed in. Everything is optional. */
export interface TemplateContext {
  /**
   * Extra text appended to the template description (e.g. the tugboat version). Kept out of the
   * default so that the same spec always gives the same bytes.
   * @default none
   */
  readonly descriptionSuffix?: string;
  /**
   * Renders the user-data script of a launch template (src/boot's renderBootScript): instances then
   * install their role by themselves at boot. A function passed in rather than imported, since the
   * script is built from the host layout and runtime pin of src/bootstrap, which builds on this folder.
   * @default no user-data
   */
  readonly renderUserData?: (input: BootScriptInput) => string;
  /**
   * The S3 keys of the pinned Node.js runtime tarballs in a cluster's prefix, which the boot script
   * fetches: the master and worker roles may read exactly these (besides the bundles). Passed in
   * for the same reason as `renderUserData` (the pin lives in src/bootstrap).
   * @default none
   */
  readonly runtimeObjectKeys?: (cluster: string) => readonly string[];
  /**
   * The S3 keys of the pinned etcd release tarballs in the cluster's prefix: with store etcd (and
   * `etcd.source` not `package`) the master role may read exactly these. Given by the caller for
   * the same reason as `runtimeObjectKeys`. @default none
   */
  readonly etcdObjectKeys?: (cluster: string) => readonly string[];
}

/**
 * A value of a boot script: a literal, or a CloudFormation `${Name}` reference that Fn::Sub fills
 * in (parameters and pseudo parameters such as `AWS::Region`).
 */
export type BootValue = { readonly literal: string } | { readonly sub: string };

/** What a boot script is for. Nothing here is secret: user-data is readable by anyone who can describe the instance. */
export interface BootScriptInput {
  readonly cluster: string;
  readonly role: 'master' | 'worker';
  /** Worker group. @default none (the master) */
  readonly group?: string;
  readonly region: BootValue;
  readonly bucket: BootValue;
  readonly sha256: BootValue;
  readonly file: BootValue;
  /** npm registry of the runtime package. */
  readonly registry: BootValue;
  /**
   * Further flags of `boot` from the spec (`buildBootArgs`: group labels, taints, EIP; the
   * master's ranges and API name), passed as literals. @default none
   */
  readonly args?: readonly string[];
}

/** A CloudFormation tag. */
export interface CfnTag {
  readonly Key: string;
  readonly Value: string;
}

/** `{ Ref: id }` */
export const ref = (logicalId: string) => ({ Ref: logicalId });

/** `{ 'Fn::GetAtt': [id, attribute] }` */
export const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
