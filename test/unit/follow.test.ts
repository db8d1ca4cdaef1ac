import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { unregisteredSearchAttributes } from '../../cli/follow';

/** As @temporalio/client throws it when the server refuses a start (the gRPC error, code 3, as the cause). */
const refusedStart = (serverMessage: string) =>
  new ServiceError('Failed to start Workflow', { cause: Object.assign(new Error(`3 INVALID_ARGUMENT: ${serverMessage}`), { code: 3 }) });

describe('starting a run on a server without our search attributes', () => {
  it('is recognised from the server words in the cause, not the client message', () => {
    // what a namespace created without `services up` answered (found by a fresh-clone test: the run was refused instead)
    expect(unregisteredSearchAttributes(refusedStart('Namespace nb2 has no mapping defined for search attribute SocialSenseSource'))).toBe(true);
    expect(unregisteredSearchAttributes(refusedStart('search attribute SocialSenseDate is not defined'))).toBe(true);
    expect(unregisteredSearchAttributes(new Error('Search attribute SocialSenseStage is not registered'))).toBe(true);
  });

  it('is not any other refused start', () => {
    expect(unregisteredSearchAttributes(refusedStart('Namespace nb2 is not found.'))).toBe(false);
    expect(unregisteredSearchAttributes(new ServiceError('Failed to start Workflow'))).toBe(false);
    expect(unregisteredSearchAttributes(null)).toBe(false);
    expect(unregisteredSearchAttributes('search attribute')).toBe(false); // not an error object
  });
});
