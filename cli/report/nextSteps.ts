/**
 * What makes the model-made insights appear: topics, trend flags and forecasts, segments and recommendations come
 * from the models a retrain trains and applies to its window's posts (workflows/retrain.ts), so a fresh install
 * that has only run the pipeline shows none of them. Every "no data yet" names this step, in the CLI, the HTML
 * report and the API.
 */
export const RETRAIN_HINT =
  'run `socialsense retrain` (`--source file --date D --days N` for imported files; or let the nightly Schedule do it: `socialsense schedule apply`)';

/** RETRAIN_HINT for the HTML report: the commands as `<code>` (the text has nothing else to escape). */
export const RETRAIN_HINT_HTML = RETRAIN_HINT.replace(/`([^`]+)`/g, '<code>$1</code>');
