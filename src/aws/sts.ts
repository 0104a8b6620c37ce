import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { awsCall } from './errors.js';

/** The STS call tugboat makes: which account the credentials belong to (needs no permission). */
export interface StsApi {
  /** The 12-digit account id of the caller. */
  accountId(): Promise<string>;
}

/** The STS API over the SDK client; the answer is asked once per client and then remembered. */
export function sdkSts(client: STSClient, endpoint?: string): StsApi {
  let account: Promise<string> | undefined;
  return {
    accountId() {
      account ??= awsCall(
        'sts:GetCallerIdentity',
        () => client.send(new GetCallerIdentityCommand({})),
        endpoint,
      ).then((out) => out.Account ?? '');
      // A failed lookup (network, credentials) is not remembered: the next call asks again.
      account.catch(() => {
        account = undefined;
      });
      return account;
    },
  };
}
