/**
 * Arrow keys move the focus through a list's items (a roving focus, as in a listbox): Up or Left to the previous,
 * Down or Right to the next, Home and End to the ends. Enter then acts on the focused item as a click would.
 */
export function moveFocus(e: KeyboardEvent, selector: string): void {
  const items = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>(selector)];
  const at = items.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const to = (
    { ArrowDown: at + 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowLeft: at - 1, Home: 0, End: items.length - 1 } as Record<string, number>
  )[e.key];
  if (to === undefined) return;
  e.preventDefault();
  items[Math.max(0, Math.min(items.length - 1, to))]!.focus();
}
