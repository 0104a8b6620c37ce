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
