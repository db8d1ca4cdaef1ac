import { DefaultLogger, Runtime } from '@temporalio/worker';

// Worker logs (incl. the warnings that tests provoke on purpose) drown the test report; errors still show.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed in this process by an earlier test file
}
