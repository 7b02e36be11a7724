// The one Function Compute credential seam (shared/http/fc): the function role's STS credentials from a
// handler context or from a web function's x-fc-* headers, and the updater all three functions use.
import { describe, expect, it } from 'vitest';
import { fcContextCredentials, fcCredentialUpdater, fcHeaderCredentials, type FcRoleCredentials } from '../shared/http/fc';

const role = { accessKeyId: 'STS.key', accessKeySecret: 'secret', securityToken: 'token' };

describe('FC role credentials', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    [{}, undefined],
    [{ credentials: null }, undefined],
    [{ credentials: { accessKeyId: 'STS.key' } }, undefined],
    [{ credentials: { accessKeyId: '', accessKeySecret: 'secret' } }, undefined],
    [{ credentials: role }, role],
    [{ credentials: { accessKeyId: 'AK', accessKeySecret: 'secret', securityToken: '' } }, { accessKeyId: 'AK', accessKeySecret: 'secret' }],
  ])('from a handler context %j', (context, expected) => {
    expect(fcContextCredentials(context)).toEqual(expected);
  });

  it.each([
    [{}, undefined],
    [{ 'x-fc-access-key-id': 'STS.key', 'x-fc-access-key-secret': 'secret' }, undefined], // no token: not FC's form
    [{ 'x-fc-access-key-id': ['STS.key'], 'x-fc-access-key-secret': 'secret', 'x-fc-security-token': 'token' }, undefined],
    [{ 'x-fc-access-key-id': 'STS.key', 'x-fc-access-key-secret': 'secret', 'x-fc-security-token': 'token' }, role],
  ])('from web function headers %j', (headers, expected) => {
    expect(fcHeaderCredentials(headers)).toEqual(expected);
  });

  it('moves a client to new credentials only when they change', () => {
    const seen: FcRoleCredentials[] = [];
    const use = fcCredentialUpdater({ setCredentials: (c) => seen.push(c) });
    use(undefined);
    use(role);
    use({ ...role });
    use(undefined); // an invocation without credentials keeps the last ones
    const renewed = { ...role, securityToken: 'token-2' };
    use(renewed);
    use({ ...role, accessKeySecret: 'other' });
    expect(seen).toEqual([role, renewed, { ...role, accessKeySecret: 'other' }]);
  });
});
