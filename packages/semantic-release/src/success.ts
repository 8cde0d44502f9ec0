import { appendFile } from 'node:fs/promises';
import { appendPostureToGitHubRelease, isPhpublishError, postureMarkdown, postureText } from '@phpublish/core';
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
  if (state?.release.config.options.report.releaseNotes && context.env['GITHUB_ACTIONS'] === 'true') {
    try {
      await appendPostureToGitHubRelease(state.release, {
        tag: lastPosture.version,
        markdown: postureMarkdown(lastPosture),
      });
    } catch (error) {
      // The release is complete; a report that could not be written is a warning, not a failure.
      if (!isPhpublishError(error)) throw error;
      state.release.logger.warn(error.format());
    }
  }
}
