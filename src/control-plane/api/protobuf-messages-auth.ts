import type { Schema } from './protobuf-schemas.js';

/** Protobuf field tables (generated.proto numbers) of certificates.k8s.io/v1, rbac.authorization.k8s.io/v1, authorization.k8s.io/v1, authentication.k8s.io/v1 (TokenRequest, SelfSubjectReview). */
export const AUTH_MESSAGES: Record<string, Schema> = {
  CertificateSigningRequest: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'CertificateSigningRequestSpec'],
    3: ['status', 'message', 'CertificateSigningRequestStatus'],
  },
  CertificateSigningRequestSpec: {
    1: ['request', 'bytes'],
    2: ['username', 'string'],
    3: ['uid', 'string'],
    4: ['groups', 'repeated', 'string'],
    5: ['usages', 'repeated', 'string'],
    6: ['extra', 'map', 'ExtraValue'],
    7: ['signerName', 'string'],
    8: ['expirationSeconds', 'int'],
  },
  ExtraValue: { 1: ['items', 'repeated', 'string'] },
  CertificateSigningRequestStatus: {
    1: ['conditions', 'repeated', 'CertificateSigningRequestCondition'],
    2: ['certificate', 'bytes'],
  },
  CertificateSigningRequestCondition: {
    1: ['type', 'string'],
    2: ['reason', 'string'],
    3: ['message', 'string'],
    4: ['lastUpdateTime', 'time'],
    5: ['lastTransitionTime', 'time'],
    6: ['status', 'string'],
  },
  Role: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['rules', 'repeated', 'PolicyRule'] },
  ClusterRole: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['rules', 'repeated', 'PolicyRule'],
    3: ['aggregationRule', 'message', 'AggregationRule'],
  },
  AggregationRule: { 1: ['clusterRoleSelectors', 'repeated', 'LabelSelector'] },
  PolicyRule: {
    1: ['verbs', 'repeated', 'string'],
    2: ['apiGroups', 'repeated', 'string'],
    3: ['resources', 'repeated', 'string'],
    4: ['resourceNames', 'repeated', 'string'],
    5: ['nonResourceURLs', 'repeated', 'string'],
  },
  RoleBinding: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['subjects', 'repeated', 'Subject'],
    3: ['roleRef', 'message', 'RoleRef'],
  },
  ClusterRoleBinding: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['subjects', 'repeated', 'Subject'],
    3: ['roleRef', 'message', 'RoleRef'],
  },
  Subject: {
    1: ['kind', 'string'],
    2: ['apiGroup', 'string'],
    3: ['name', 'string'],
    4: ['namespace', 'string'],
  },
  RoleRef: { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] },
  SelfSubjectAccessReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SelfSubjectAccessReviewSpec'],
    3: ['status', 'skip'],
  },
  SelfSubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'message', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'message', 'NonResourceAttributes'],
  },
  ResourceAttributes: {
    1: ['namespace', 'string'],
    2: ['verb', 'string'],
    3: ['group', 'string'],
    4: ['version', 'string'],
    5: ['resource', 'string'],
    6: ['subresource', 'string'],
    7: ['name', 'string'],
  },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SelfSubjectRulesReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SelfSubjectRulesReviewSpec'],
    3: ['status', 'skip'],
  },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
  SubjectAccessReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SubjectAccessReviewSpec'],
    3: ['status', 'skip'],
  },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'message', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'message', 'NonResourceAttributes'],
    3: ['user', 'string'],
    4: ['groups', 'repeated', 'string'],
    6: ['uid', 'string'],
  },
  SelfSubjectReview: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['status', 'skip'] },
  // authentication.k8s.io/v1 (kubectl create token)
  TokenRequest: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'TokenRequestSpec'],
    3: ['status', 'skip'],
  },
  TokenRequestSpec: {
    1: ['audiences', 'repeated', 'string'],
    3: ['boundObjectRef', 'message', 'BoundObjectReference'],
    4: ['expirationSeconds', 'int'],
  },
  BoundObjectReference: {
    1: ['kind', 'string'],
    2: ['apiVersion', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
  },
};
