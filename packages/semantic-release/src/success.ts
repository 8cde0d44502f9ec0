import { appendFile } from 'node:fs/promises';
import { postureMarkdown, postureText } from '@phpublish/core';
import { currentState, setState } from './plugin-state.js';
import { lastPosture } from './publish.js';
import type { PluginConfig, SemanticReleaseContext } from './semantic-release-types.js';

/** The posture table: what protected this release and what did not, in the log and the job summary. */
export async function success(_pluginConfig: PluginConfig, context: SemanticReleaseContext): Promise<void> {
  const state = currentState();
  await state?.tools?.remove();
  if (state) setState({ ...state, tools: undefined });
  if (!lastPosture) return;
  context.logger.log(postureText(lastPosture));
  const summaryFile = context.env['GITHUB_STEP_SUMMARY'];
  if (summaryFile) await appendFile(summaryFile, postureMarkdown(lastPosture));
}
