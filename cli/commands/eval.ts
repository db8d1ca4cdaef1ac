import { Command } from 'commander';
import { registerEngagementEval } from '../eval/engagement';
import { registerRecommendEval } from '../eval/recommend';
import { registerSegmentsEval } from '../eval/segments';
import { registerSentimentEval } from '../eval/sentiment';
import { registerTopicsEval } from '../eval/topics';
import { registerTrendsEval } from '../eval/trends';

/** `socialsense eval <model>`: each prints its metrics (one JSON object with --json) for a data file. */
export function registerEval(program: Command): void {
  const evalCmd = new Command('eval').description('evaluate a model on a data file and print its metrics');
  registerSentimentEval(evalCmd);
  registerTopicsEval(evalCmd);
  registerTrendsEval(evalCmd);
  registerRecommendEval(evalCmd);
  registerSegmentsEval(evalCmd);
  registerEngagementEval(evalCmd);
  program.addCommand(evalCmd);
}
