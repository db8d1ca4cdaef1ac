import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/workflow';

/**
 * Starts a workflow under a business-key id, or attaches to the run already going under that id:
 * starting the same thing twice is not an error, it is the same run.
 */
export async function startOrAttach<W extends Workflow>(client: Client, workflow: W, opts: WorkflowStartOptions<W>) {
  try {
    return await client.workflow.start(workflow, opts);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle<W>(opts.workflowId);
    throw err;
  }
}
