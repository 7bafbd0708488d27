import type { WizardPreview } from '../../shared/schemas/wizard';

/** Why a source label has no row in the dataset, by the problem that took its images (label-account.ts). */
const LOST_BECAUSE: Record<string, string> = {
  single_instance_label: 'had one image (samplers need two)',
  label_conflict: 'shared their images with another label',
  duplicate_file: 'held only copies of other images',
  image_unreadable: 'had no readable image',
  not_an_image: 'held no image files',
  tiny_image: 'had only images under the smallest side',
  bbox_invalid: 'had only invalid boxes',
  bbox_outside_image: 'had only boxes outside their images',
  row_incomplete: 'had only incomplete rows',
};

/** "147 labels in the source, 63 kept: 70 had one image (samplers need two), 14 …" */
export function labelAccountText(a: WizardPreview['labelAccount']): string {
  const head = `${a.found.toLocaleString('en')} label${a.found === 1 ? '' : 's'} in the source, ${a.kept.toLocaleString('en')} kept`;
  if (!a.lost.length) return `${head}.`;
  const parts = a.lost.map((l) => `${l.labels.toLocaleString('en')} ${LOST_BECAUSE[l.code] ?? `were dropped (${l.code})`}`);
  return `${head}: ${parts.join(', ')}.`;
}

/**
 * The problems a filter shows (null: every kind) and how many of that filter's problems the preview did not send
 * (it sends a sample of each kind): what "N more not shown" says.
 */
export function problemView(preview: Pick<WizardPreview, 'problems' | 'problemCount' | 'problemCounts'>, code: string | null) {
  const rows = preview.problems.filter((p) => code === null || p.code === code);
  const total = code === null ? preview.problemCount : (preview.problemCounts.find((c) => c.code === code)?.count ?? 0);
  return { rows, notShown: total - rows.length };
}

/** A problem kind as a filter button reads it: its code in words. */
export const problemKind = (code: string) => code.replaceAll('_', ' ');
