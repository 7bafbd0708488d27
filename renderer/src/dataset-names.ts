/**
 * Names for a list of datasets (the Datasets page's Recent links) that tell each apart: the dataset's name alone where it is the only one so named;
 * else with its file (a fixed version, `df.v2.csv`, sits beside `df.csv`) and, if that still repeats, the folders
 * above it until the labels differ.
 */
export function datasetLabels(list: readonly { csvPath: string; name: string }[]): string[] {
  const parts = list.map((d) => d.csvPath.split(/[\\/]/).filter(Boolean));
  return list.map((d, i) => {
    const same = list.map((_, j) => j).filter((j) => list[j]!.name === d.name && j !== i);
    if (same.length === 0) return d.name;
    const mine = parts[i]!;
    for (let depth = 1; depth <= mine.length; depth++) {
      const tail = mine.slice(-depth).join('/');
      if (same.every((j) => parts[j]!.slice(-depth).join('/') !== tail)) return `${d.name} (${tail})`;
    }
    return `${d.name} (${d.csvPath})`;
  });
}
