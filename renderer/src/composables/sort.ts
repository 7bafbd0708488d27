import { type Ref, ref } from 'vue';

/**
 * A table's sort by one column at a time, as its header buttons drive it: a click on the sorted column turns its
 * direction, a click on another sorts by it in the direction `firstDir` gives that column (names A→Z, scores
 * best first…); `arrow` and `ariaSort` say on the header which column sorts and how.
 */
export function useSort<K extends string>(initial: K, initialDir: 1 | -1, firstDir: (key: K) => 1 | -1) {
  const key = ref(initial) as Ref<K>;
  const dir = ref<1 | -1>(initialDir);
  function sortBy(k: K) {
    if (key.value === k) dir.value = dir.value === 1 ? -1 : 1;
    else [key.value, dir.value] = [k, firstDir(k)];
  }
  const arrow = (k: K) => (key.value === k ? (dir.value === 1 ? ' ▲' : ' ▼') : '');
  const ariaSort = (k: K) => (key.value === k ? (dir.value === 1 ? 'ascending' : 'descending') : 'none');
  return { key, dir, sortBy, arrow, ariaSort };
}
